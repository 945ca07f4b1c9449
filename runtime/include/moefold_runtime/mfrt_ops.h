/*===- mfrt_ops.h - moefold runtime compute kernels ----------------------===*
 *
 * Forward and backward (vector-Jacobian product) entry points of every op of
 * the MoE dialect, at global (single-device) semantics. One entry point per
 * op and direction; the element type comes from the descriptors:
 *
 *  - Floating tensors of one call must all be MFRT_F32 or all MFRT_F64.
 *    Index tensors (tokens, targets, indices, group sizes) are MFRT_I32.
 *  - Tensors are dense row-major. "[..., H]" means any rank >= 1 whose last
 *    extent is H; the leading extents flatten to T rows.
 *  - Outputs are overwritten, never accumulated. Outputs must not alias
 *    inputs (except for mfrt_add_fwd, which is elementwise).
 *  - Backward functions take the forward inputs (and, where noted, forward
 *    outputs) plus the output gradients, and write input gradients. A NULL
 *    gradient-output descriptor means "not needed" and is skipped.
 *  - Every function validates its arguments: a NULL required descriptor, a
 *    wrong dtype or shape, an out-of-range index returns
 *    MFRT_ERROR_INVALID_ARGUMENT with the reason in mfrt_last_error(), and
 *    writes nothing.
 *  - Scalars (losses and their gradients) are one-element tensors (rank 0,
 *    or rank 1 with extent 1).
 *===----------------------------------------------------------------------===*/

#ifndef MOEFOLD_RUNTIME_MFRT_OPS_H
#define MOEFOLD_RUNTIME_MFRT_OPS_H

#include "moefold_runtime/mfrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Router scoring functions. */
typedef enum mfrt_router_scoring {
  MFRT_SCORING_SOFTMAX = 0,
  MFRT_SCORING_SIGMOID = 1,
} mfrt_router_scoring;

/*--- embedding ----------------------------------------------------------*/
/* out[b,s,:] = table[tokens[b,s], :].  table [V,H], tokens [B,S] (any rank)
 * i32, out [B,S,H]. A token outside [0, V) is an error naming its position. */
mfrt_status mfrt_embedding_fwd(const mfrt_tensor *table,
                               const mfrt_tensor *tokens,
                               const mfrt_tensor *out);
/* dtable [V,H] = scatter-add of dout rows by token. */
mfrt_status mfrt_embedding_bwd(const mfrt_tensor *tokens,
                               const mfrt_tensor *dout,
                               const mfrt_tensor *dtable);

/*--- rms_norm -----------------------------------------------------------*/
/* out = x * w / sqrt(mean(x^2 over H) + eps). x, out [..., H], w [H]. */
mfrt_status mfrt_rms_norm_fwd(const mfrt_tensor *x, const mfrt_tensor *w,
                              double eps, const mfrt_tensor *out);
mfrt_status mfrt_rms_norm_bwd(const mfrt_tensor *x, const mfrt_tensor *w,
                              double eps, const mfrt_tensor *dout,
                              const mfrt_tensor *dx, const mfrt_tensor *dw);

/*--- linear -------------------------------------------------------------*/
/* out = x @ w. x [..., K], w [K, N] (weight stored [in, out]), out [..., N]. */
mfrt_status mfrt_linear_fwd(const mfrt_tensor *x, const mfrt_tensor *w,
                            const mfrt_tensor *out);
/* dx = dout @ w^T, dw = x^T @ dout. */
mfrt_status mfrt_linear_bwd(const mfrt_tensor *x, const mfrt_tensor *w,
                            const mfrt_tensor *dout, const mfrt_tensor *dx,
                            const mfrt_tensor *dw);

/*--- attention ----------------------------------------------------------*/
/* Scaled dot-product attention. q, out [B,S,Nq*D]; k, v [B,S,Nkv*D]; head h
 * occupies columns [h*D, (h+1)*D). Query head h attends with kv head
 * h / (Nq/Nkv) (grouped-query attention; Nq % Nkv == 0). Scale 1/sqrt(D);
 * `causal` != 0 masks keys after the query position.
 * `rope_theta` > 0 rotates every query and key head first (rotary position
 * embedding, half-split "rotate_half" layout as in Hugging Face Llama):
 * at position p (0..S-1 in each batch row) the pair (x[i], x[i+D/2]),
 * i < D/2, rotates by the angle p * rope_theta^(-2i/D); D must be even.
 * rope_theta == 0: no rotary embedding; negative or non-finite: error. */
mfrt_status mfrt_attention_fwd(const mfrt_tensor *q, const mfrt_tensor *k,
                               const mfrt_tensor *v, int64_t num_heads,
                               int64_t num_kv_heads, int32_t causal,
                               double rope_theta, const mfrt_tensor *out);
/* Recomputes the attention probabilities (and the rotated q, k); writes dq,
 * dk (gradients of the unrotated q, k), dv. */
mfrt_status mfrt_attention_bwd(const mfrt_tensor *q, const mfrt_tensor *k,
                               const mfrt_tensor *v, int64_t num_heads,
                               int64_t num_kv_heads, int32_t causal,
                               double rope_theta, const mfrt_tensor *dout,
                               const mfrt_tensor *dq, const mfrt_tensor *dk,
                               const mfrt_tensor *dv);

/* Qwen3-style attention: before the rotary embedding every D-element head
 * of q (of k) is RMS-normalised, x * rsqrt(mean(x^2) + epsilon) * w, with
 * the [D] weight q_norm (k_norm) shared by all heads. */
mfrt_status mfrt_attention_qknorm_fwd(
    const mfrt_tensor *q, const mfrt_tensor *k, const mfrt_tensor *v,
    const mfrt_tensor *q_norm, const mfrt_tensor *k_norm, int64_t num_heads,
    int64_t num_kv_heads, int32_t causal, double rope_theta, double epsilon,
    const mfrt_tensor *out);
/* Writes dq, dk (gradients of the unnormalised q, k), dv, and dq_norm,
 * dk_norm (summed over heads and tokens); any output may be NULL. */
mfrt_status mfrt_attention_qknorm_bwd(
    const mfrt_tensor *q, const mfrt_tensor *k, const mfrt_tensor *v,
    const mfrt_tensor *q_norm, const mfrt_tensor *k_norm, int64_t num_heads,
    int64_t num_kv_heads, int32_t causal, double rope_theta, double epsilon,
    const mfrt_tensor *dout, const mfrt_tensor *dq, const mfrt_tensor *dk,
    const mfrt_tensor *dv, const mfrt_tensor *dq_norm,
    const mfrt_tensor *dk_norm);

/*--- swiglu -------------------------------------------------------------*/
/* out = silu(gate) * up, silu(g) = g * sigmoid(g). All the same shape. */
mfrt_status mfrt_swiglu_fwd(const mfrt_tensor *gate, const mfrt_tensor *up,
                            const mfrt_tensor *out);
mfrt_status mfrt_swiglu_bwd(const mfrt_tensor *gate, const mfrt_tensor *up,
                            const mfrt_tensor *dout, const mfrt_tensor *dgate,
                            const mfrt_tensor *dup);

/*--- router -------------------------------------------------------------*/
/* logits = x @ w (x [..., H], w [H, E]); probs [..., E] = softmax(logits)
 * over E or sigmoid(logits). Selection: the top_k experts by probs + bias
 * (bias [E] optional, NULL for none; it affects selection only), in
 * descending order, ties broken by the lower expert id. indices [..., K] i32
 * are the selected ids; scores [..., K] the selected probs, divided by their
 * sum when `renormalize` != 0. K = top_k must be in [1, E]. */
mfrt_status mfrt_router_fwd(const mfrt_tensor *x, const mfrt_tensor *w,
                            const mfrt_tensor *bias,
                            mfrt_router_scoring scoring, int64_t top_k,
                            int32_t renormalize, const mfrt_tensor *scores,
                            const mfrt_tensor *indices,
                            const mfrt_tensor *probs);
/* Takes the forward outputs probs and indices. Gradient flows through
 * dscores [..., K] and, when not NULL, dprobs [..., E] (e.g. from the aux
 * loss); indices and bias get none. Writes dx [..., H] and dw [H, E]. */
mfrt_status mfrt_router_bwd(const mfrt_tensor *x, const mfrt_tensor *w,
                            mfrt_router_scoring scoring, int32_t renormalize,
                            const mfrt_tensor *probs,
                            const mfrt_tensor *indices,
                            const mfrt_tensor *dscores,
                            const mfrt_tensor *dprobs, const mfrt_tensor *dx,
                            const mfrt_tensor *dw);

/*--- dispatch -----------------------------------------------------------*/
/* Permutes token copies into expert order. x [..., H] (T rows), indices
 * [..., K] i32 with T*K entries in [0, E). sorted [T*K, H]: the rows of
 * expert 0, then expert 1, ...; within an expert, (token, k) order.
 * group_sizes [E] i32: rows per expert. */
mfrt_status mfrt_dispatch_fwd(const mfrt_tensor *x, const mfrt_tensor *indices,
                              int64_t num_experts, const mfrt_tensor *sorted,
                              const mfrt_tensor *group_sizes);
/* dx[t] = sum_k dsorted[row(t, k)]. */
mfrt_status mfrt_dispatch_bwd(const mfrt_tensor *indices, int64_t num_experts,
                              const mfrt_tensor *dsorted,
                              const mfrt_tensor *dx);
/* Scores before the experts: as mfrt_dispatch_fwd, each copy scaled as it is
 * placed, sorted[row(t, k)] = scores[t, k] * x[t]; scores [..., K]. */
mfrt_status mfrt_dispatch_scaled_fwd(const mfrt_tensor *x,
                                     const mfrt_tensor *indices,
                                     const mfrt_tensor *scores,
                                     int64_t num_experts,
                                     const mfrt_tensor *sorted,
                                     const mfrt_tensor *group_sizes);
/* dx[t] = sum_k scores[t, k] * dsorted[row(t, k)];
 * dscores[t, k] = <dsorted[row(t, k)], x[t]>. dx or dscores may be NULL. */
mfrt_status mfrt_dispatch_scaled_bwd(const mfrt_tensor *x,
                                     const mfrt_tensor *indices,
                                     const mfrt_tensor *scores,
                                     int64_t num_experts,
                                     const mfrt_tensor *dsorted,
                                     const mfrt_tensor *dx,
                                     const mfrt_tensor *dscores);
/* rows [..., K] i32: row(t, k), the position of copy (t, k) in `sorted`. */
mfrt_status mfrt_dispatch_rows(const mfrt_tensor *indices, int64_t num_experts,
                               const mfrt_tensor *rows);

/*--- experts ------------------------------------------------------------*/
/* Grouped SwiGLU. sorted [N, H], group_sizes [G] i32 with G a multiple of E
 * and summing to at most N, w_gate and w_up [E, H, F], w_down [E, F, H],
 * out [N, H]. The rows of group g (contiguous, in order) go through expert
 * e = g mod E: (silu(x @ w_gate[e]) * (x @ w_up[e])) @ w_down[e]. Rows past
 * the sum are padding: out and dsorted are 0 there, and they add nothing to
 * the weight gradients. */
mfrt_status mfrt_experts_fwd(const mfrt_tensor *sorted,
                             const mfrt_tensor *group_sizes,
                             const mfrt_tensor *w_gate,
                             const mfrt_tensor *w_up,
                             const mfrt_tensor *w_down,
                             const mfrt_tensor *out);
mfrt_status mfrt_experts_bwd(const mfrt_tensor *sorted,
                             const mfrt_tensor *group_sizes,
                             const mfrt_tensor *w_gate,
                             const mfrt_tensor *w_up,
                             const mfrt_tensor *w_down,
                             const mfrt_tensor *dout,
                             const mfrt_tensor *dsorted,
                             const mfrt_tensor *dw_gate,
                             const mfrt_tensor *dw_up,
                             const mfrt_tensor *dw_down);

/* out[p] = sum of counts[p*B .. (p+1)*B - 1], B = n / peers: the rows of a
 * [n] i32 per-expert count vector that go to (or come from) each of `peers`
 * expert-parallel ranks holding B consecutive experts each. out is [peers]
 * i32. */
mfrt_status mfrt_peer_counts(const mfrt_tensor *counts, int64_t peers,
                             const mfrt_tensor *out);

/*--- combine ------------------------------------------------------------*/
/* out[t] = sum_k scores[t,k] * expert_out[row(t,k)]. expert_out [T*K, H] in
 * dispatch order, indices and scores [..., K], out [..., H]. scores NULL:
 * the unweighted sum (scores applied before the experts). */
mfrt_status mfrt_combine_fwd(const mfrt_tensor *expert_out,
                             const mfrt_tensor *indices,
                             const mfrt_tensor *scores, int64_t num_experts,
                             const mfrt_tensor *out);
/* dexpert_out[row(t,k)] = scores[t,k] * dout[t];
 * dscores[t,k] = <dout[t], expert_out[row(t,k)]>. scores NULL (unweighted):
 * dexpert_out[row(t,k)] = dout[t], and dscores must be NULL. */
mfrt_status mfrt_combine_bwd(const mfrt_tensor *expert_out,
                             const mfrt_tensor *indices,
                             const mfrt_tensor *scores, int64_t num_experts,
                             const mfrt_tensor *dout,
                             const mfrt_tensor *dexpert_out,
                             const mfrt_tensor *dscores);

/*--- shared expert ------------------------------------------------------*/
/* y = (silu(x @ w_gate) * (x @ w_up)) @ w_down; out = y, or
 * y * sigmoid(x @ gate) when gate [H, 1] is not NULL. x, out [..., H];
 * w_gate, w_up [H, F]; w_down [F, H]. */
mfrt_status mfrt_shared_expert_fwd(const mfrt_tensor *x,
                                   const mfrt_tensor *w_gate,
                                   const mfrt_tensor *w_up,
                                   const mfrt_tensor *w_down,
                                   const mfrt_tensor *gate,
                                   const mfrt_tensor *out);
/* dgate must be NULL when gate is NULL. */
mfrt_status mfrt_shared_expert_bwd(
    const mfrt_tensor *x, const mfrt_tensor *w_gate, const mfrt_tensor *w_up,
    const mfrt_tensor *w_down, const mfrt_tensor *gate,
    const mfrt_tensor *dout, const mfrt_tensor *dx,
    const mfrt_tensor *dw_gate, const mfrt_tensor *dw_up,
    const mfrt_tensor *dw_down, const mfrt_tensor *dgate);

/*--- load-balancing aux loss -------------------------------------------*/
/* loss = coeff * E * sum_e f_e * P_e with f_e = |{(t,k): indices[t,k]=e}| /
 * (T*K) and P_e = mean_t probs[t,e]. probs [..., E], indices [..., K] i32,
 * loss: one element. f_e is a constant for differentiation. */
mfrt_status mfrt_aux_loss_fwd(const mfrt_tensor *probs,
                              const mfrt_tensor *indices, double coeff,
                              const mfrt_tensor *loss);
/* dprobs[t,e] = dloss * coeff * E * f_e / T. */
mfrt_status mfrt_aux_loss_bwd(const mfrt_tensor *probs,
                              const mfrt_tensor *indices, double coeff,
                              const mfrt_tensor *dloss,
                              const mfrt_tensor *dprobs);

/*--- cross-entropy ------------------------------------------------------*/
/* loss = sum_t -log softmax(logits[t])[targets[t]] / N, where N is
 * `num_tokens` when > 0 (the global token count, so a shard's loss is a
 * partial sum) and the local token count T when <= 0. logits [..., V],
 * targets [...] i32 in [0, V), loss: one element. */
mfrt_status mfrt_cross_entropy_fwd(const mfrt_tensor *logits,
                                   const mfrt_tensor *targets,
                                   int64_t num_tokens,
                                   const mfrt_tensor *loss);
mfrt_status mfrt_cross_entropy_bwd(const mfrt_tensor *logits,
                                   const mfrt_tensor *targets,
                                   int64_t num_tokens,
                                   const mfrt_tensor *dloss,
                                   const mfrt_tensor *dlogits);

/*--- vocab-parallel cross-entropy ----------------------------------------*/
/* A rank holds logits [..., Vl]: the vocabulary columns [offset, offset+Vl).
 * The statistics are per token ([...], the logits' float type); the program
 * reduces each over the vocabulary group before the next is computed
 * (docs/partition.md, "Vocab-parallel cross-entropy"). */
/* max[t] = max_j logits[t, j] (reduced with MAX). */
mfrt_status mfrt_vocab_max_fwd(const mfrt_tensor *logits,
                               const mfrt_tensor *max);
/* sumexp[t] = sum_j exp(logits[t, j] - max[t]), max the reduced one
 * (reduced with SUM). */
mfrt_status mfrt_vocab_sumexp_fwd(const mfrt_tensor *logits,
                                  const mfrt_tensor *max,
                                  const mfrt_tensor *sumexp);
/* out[t] = logits[t, targets[t] - offset] when the target falls in this
 * shard, else 0 (reduced with SUM). targets i32 in [0, vocab). */
mfrt_status mfrt_vocab_target_logit_fwd(const mfrt_tensor *logits,
                                        const mfrt_tensor *targets,
                                        int64_t offset, int64_t vocab,
                                        const mfrt_tensor *out);
/* loss = sum_t (log sumexp[t] + max[t] - target_logit[t]) / N, N as in
 * mfrt_cross_entropy_fwd; from the reduced statistics. */
mfrt_status mfrt_vocab_cross_entropy_fwd(const mfrt_tensor *max,
                                         const mfrt_tensor *sumexp,
                                         const mfrt_tensor *target_logit,
                                         int64_t num_tokens,
                                         const mfrt_tensor *loss);
/* dlogits[t, j] = dloss / N * (exp(logits[t, j] - max[t]) / sumexp[t]
 *                 - [targets[t] == offset + j]), from the reduced max and
 * sumexp: this rank's columns of the global gradient. */
mfrt_status mfrt_vocab_cross_entropy_bwd(
    const mfrt_tensor *logits, const mfrt_tensor *targets, int64_t offset,
    const mfrt_tensor *max, const mfrt_tensor *sumexp,
    const mfrt_tensor *dloss, int64_t num_tokens, const mfrt_tensor *dlogits);

/*--- add ----------------------------------------------------------------*/
/* out = a + b, all the same shape (out may alias a or b). */
mfrt_status mfrt_add_fwd(const mfrt_tensor *a, const mfrt_tensor *b,
                         const mfrt_tensor *out);
/* da = dout, db = dout (copies). */
mfrt_status mfrt_add_bwd(const mfrt_tensor *dout, const mfrt_tensor *da,
                         const mfrt_tensor *db);

#ifdef __cplusplus
}
#endif

#endif /* MOEFOLD_RUNTIME_MFRT_OPS_H */
