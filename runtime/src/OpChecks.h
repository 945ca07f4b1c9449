//===- OpChecks.h - argument checks shared by the backends -----*- C++ -*-===//
//
// The shape, dtype and attribute checks of the ops' entry points, written
// once for the CPU backend (runtime/cpu) and the cuda backend
// (runtime/cuda/ops): both promise the same contracts and the same error
// texts. Nothing here reads tensor data except checkIndexRange and
// checkGroupSizes, which take host memory; checks of index values that
// differ by where the data lives (host loop, device kernel) are passed in as
// an IndexCheck.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_SRC_OPCHECKS_H
#define MOEFOLD_RUNTIME_SRC_OPCHECKS_H

#include "Support.h"

#include "moefold_runtime/mfrt_ops.h"

namespace mfrt {

/// Checks that every i32 of `indices` lies in [0, bound).
using IndexCheck = bool (*)(ArgChecker &a, const mfrt_tensor *indices,
                            int64_t bound);

/// Every i32 of host tensor `t` in [0, bound); names the first offending
/// flat position ("<name>: value V at flat position P is outside [0, B)").
bool checkIndexRange(ArgChecker &a, const mfrt_tensor *t, const char *name,
                     int64_t bound);

//===--- attention --------------------------------------------------------===//

struct AttnShape {
  int64_t b, s, nq, nkv, d;
};

/// q [B, S, Hq*D], k and v [B, S, Hkv*D] of one float type; fills `sh`.
bool checkAttention(ArgChecker &a, const mfrt_tensor *q, const mfrt_tensor *k,
                    const mfrt_tensor *v, int64_t numHeads, int64_t numKv,
                    AttnShape &sh);
/// rope_theta 0 (off) or positive and finite, with an even head dimension.
bool checkRope(ArgChecker &a, double ropeTheta, const AttnShape &sh);
/// q_norm, k_norm [D]; epsilon positive and finite.
bool checkQKNorm(ArgChecker &a, const mfrt_tensor *qNorm,
                 const mfrt_tensor *kNorm, double eps, const AttnShape &sh);

//===--- dense ------------------------------------------------------------===//

/// x [..., H], w [H]; eps finite and >= 0.
bool checkRmsNorm(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *w,
                  double eps);

//===--- routing ----------------------------------------------------------===//

bool checkNumExperts(ArgChecker &a, int64_t e);
/// The scoring argument as a plain int: C callers may pass any value.
int rawScoring(const mfrt_router_scoring &scoring);
/// x [..., H], w [H, E] with E > 0, a known scoring function.
bool checkRouterCommon(ArgChecker &a, const mfrt_tensor *x,
                       const mfrt_tensor *w, int scoring);
/// expert_out [T*K, H], indices [..., K] in [0, numExperts) (checked by
/// `checkIndices`), optional scores shaped like indices.
bool checkCombine(ArgChecker &a, const mfrt_tensor *expertOut,
                  const mfrt_tensor *indices, const mfrt_tensor *scores,
                  int64_t numExperts, IndexCheck checkIndices);

/// x [..., H], indices [..., K] in [0, numExperts), scores like indices
/// when `scaled`, sorted [T*K, H], group_sizes [numExperts].
bool checkDispatchFwd(ArgChecker &a, const mfrt_tensor *x,
                      const mfrt_tensor *indices, bool scaled,
                      const mfrt_tensor *scores, int64_t numExperts,
                      const mfrt_tensor *sorted, const mfrt_tensor *groupSizes,
                      IndexCheck checkIndices);
/// indices [..., K], dsorted [T*K, H], optional dx [..., H].
bool checkDispatchBwd(ArgChecker &a, const mfrt_tensor *indices,
                      int64_t numExperts, const mfrt_tensor *dsorted,
                      const mfrt_tensor *dx, IndexCheck checkIndices);
/// x, indices, scores as the scaled forward; dsorted [T*K, H], optional dx
/// like x and dscores like scores.
bool checkDispatchScaledBwd(ArgChecker &a, const mfrt_tensor *x,
                            const mfrt_tensor *indices,
                            const mfrt_tensor *scores, int64_t numExperts,
                            const mfrt_tensor *dsorted, const mfrt_tensor *dx,
                            const mfrt_tensor *dscores,
                            IndexCheck checkIndices);
/// indices, rows_out of the same shape (i32).
bool checkDispatchRows(ArgChecker &a, const mfrt_tensor *indices,
                       int64_t numExperts, const mfrt_tensor *rowsOut,
                       IndexCheck checkIndices);

//===--- experts ----------------------------------------------------------===//

/// The grouped experts' extents: g groups of rows of sorted [n, h], e
/// experts with w_gate, w_up [e, h, f] and w_down [e, f, h].
struct ExpertDims {
  int64_t g = 0, e = 0, h = 0, f = 0, n = 0;
};

/// The descriptors of the grouped experts (no group size is read).
bool checkExpertShapes(ArgChecker &a, const mfrt_tensor *sorted,
                       const mfrt_tensor *groupSizes, const mfrt_tensor *wg,
                       const mfrt_tensor *wu, const mfrt_tensor *wd,
                       ExpertDims &dims);
/// The `dims.g` group sizes (host memory): none negative, their sum
/// (`total`) at most dims.n.
bool checkGroupSizes(ArgChecker &a, const int32_t *sizes,
                     const ExpertDims &dims, int64_t &total);
/// x [..., H], w_gate, w_up [H, F], w_down [F, H], optional gate [H, 1].
bool checkShared(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *wg,
                 const mfrt_tensor *wu, const mfrt_tensor *wd,
                 const mfrt_tensor *gate);

//===--- losses -----------------------------------------------------------===//

/// probs [..., E], indices [..., K]; coeff finite (index values not read).
bool checkAux(ArgChecker &a, const mfrt_tensor *probs,
              const mfrt_tensor *indices, double coeff);
/// logits [..., V], targets [...] (target values not read).
bool checkCrossEntropy(ArgChecker &a, const mfrt_tensor *logits,
                       const mfrt_tensor *targets);
/// logits [..., Vl] float with Vl > 0 and `stat` [...] of the same float
/// type (`statName` for messages).
bool checkVocabStat(ArgChecker &a, const mfrt_tensor *logits,
                    const mfrt_tensor *stat, const char *statName);

//===--- entry points -----------------------------------------------------===//
// Every check of one entry point before it touches data (the CPU names;
// the cuda backend calls them with its mfrt_cuda_ ArgChecker).

bool checkAddFwd(ArgChecker &a, const mfrt_tensor *a_, const mfrt_tensor *b,
                 const mfrt_tensor *out);
bool checkAddBwd(ArgChecker &a, const mfrt_tensor *dout, const mfrt_tensor *da,
                 const mfrt_tensor *db);
bool checkCombineBwd(ArgChecker &a, const mfrt_tensor *expert_out,
                     const mfrt_tensor *indices, const mfrt_tensor *scores,
                     int64_t num_experts, const mfrt_tensor *dout,
                     const mfrt_tensor *dexpert_out,
                     const mfrt_tensor *dscores, IndexCheck checkIndices);
bool checkPeerCounts(ArgChecker &a, const mfrt_tensor *counts, int64_t peers,
                     const mfrt_tensor *out);
bool checkLinearFwd(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *w,
                    const mfrt_tensor *out);
bool checkLinearBwd(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *w,
                    const mfrt_tensor *dout, const mfrt_tensor *dx,
                    const mfrt_tensor *dw);
bool checkSgdStep(ArgChecker &a, const mfrt_tensor *param,
                  const mfrt_tensor *grad, const mfrt_tensor *new_param);
bool checkAdamwStep(ArgChecker &a, const mfrt_tensor *param,
                    const mfrt_tensor *grad, const mfrt_tensor *m,
                    const mfrt_tensor *v, const mfrt_tensor *new_param,
                    const mfrt_tensor *new_m, const mfrt_tensor *new_v);
bool checkRmsNormFwd(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *w,
                     double eps, const mfrt_tensor *out);
bool checkRmsNormBwd(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *w,
                     double eps, const mfrt_tensor *dout,
                     const mfrt_tensor *dx, const mfrt_tensor *dw);
bool checkRouterBwd(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *w,
                    int scoring, const mfrt_tensor *probs,
                    const mfrt_tensor *indices,
                    const mfrt_tensor *dscores, const mfrt_tensor *dprobs,
                    const mfrt_tensor *dx, const mfrt_tensor *dw,
                    IndexCheck checkIndices);
bool checkSharedExpertFwd(ArgChecker &a, const mfrt_tensor *x,
                          const mfrt_tensor *w_gate, const mfrt_tensor *w_up,
                          const mfrt_tensor *w_down, const mfrt_tensor *gate,
                          const mfrt_tensor *out);
bool checkSharedExpertBwd(ArgChecker &a, const mfrt_tensor *x,
                          const mfrt_tensor *w_gate, const mfrt_tensor *w_up,
                          const mfrt_tensor *w_down, const mfrt_tensor *gate,
                          const mfrt_tensor *dout, const mfrt_tensor *dx,
                          const mfrt_tensor *dw_gate, const mfrt_tensor *dw_up,
                          const mfrt_tensor *dw_down,
                          const mfrt_tensor *dgate);
bool checkSwigluFwd(ArgChecker &a, const mfrt_tensor *gate,
                    const mfrt_tensor *up, const mfrt_tensor *out);
bool checkSwigluBwd(ArgChecker &a, const mfrt_tensor *gate,
                    const mfrt_tensor *up, const mfrt_tensor *dout,
                    const mfrt_tensor *dgate, const mfrt_tensor *dup);
bool checkVocabSumexpFwd(ArgChecker &a, const mfrt_tensor *logits,
                         const mfrt_tensor *max, const mfrt_tensor *sumexp);
bool checkVocabTargetLogitFwd(ArgChecker &a, const mfrt_tensor *logits,
                              const mfrt_tensor *targets, int64_t offset,
                              int64_t vocab, const mfrt_tensor *out);
bool checkVocabCrossEntropyFwd(ArgChecker &a, const mfrt_tensor *max,
                               const mfrt_tensor *sumexp,
                               const mfrt_tensor *target_logit,
                               const mfrt_tensor *loss);
bool checkVocabCrossEntropyBwd(ArgChecker &a, const mfrt_tensor *logits,
                               const mfrt_tensor *targets, int64_t offset,
                               const mfrt_tensor *max,
                               const mfrt_tensor *sumexp,
                               const mfrt_tensor *dloss,
                               const mfrt_tensor *dlogits);

bool checkAttentionFwd(ArgChecker &a, const mfrt_tensor *q,
                       const mfrt_tensor *k, const mfrt_tensor *v,
                       int64_t num_heads, int64_t num_kv_heads,
                       double rope_theta, const mfrt_tensor *out,
                       AttnShape &sh);
bool checkAttentionBwd(ArgChecker &a, const mfrt_tensor *q,
                       const mfrt_tensor *k, const mfrt_tensor *v,
                       int64_t num_heads, int64_t num_kv_heads,
                       double rope_theta, const mfrt_tensor *dout,
                       const mfrt_tensor *dq, const mfrt_tensor *dk,
                       const mfrt_tensor *dv, AttnShape &sh);
bool checkAttentionQKNormFwd(ArgChecker &a, const mfrt_tensor *q,
                             const mfrt_tensor *k, const mfrt_tensor *v,
                             const mfrt_tensor *q_norm,
                             const mfrt_tensor *k_norm, int64_t num_heads,
                             int64_t num_kv_heads, double rope_theta,
                             double epsilon, const mfrt_tensor *out,
                             AttnShape &sh);
bool checkAttentionQKNormBwd(ArgChecker &a, const mfrt_tensor *q,
                             const mfrt_tensor *k, const mfrt_tensor *v,
                             const mfrt_tensor *q_norm,
                             const mfrt_tensor *k_norm, int64_t num_heads,
                             int64_t num_kv_heads, double rope_theta,
                             double epsilon, const mfrt_tensor *dout,
                             const mfrt_tensor *dq, const mfrt_tensor *dk,
                             const mfrt_tensor *dv, const mfrt_tensor *dq_norm,
                             const mfrt_tensor *dk_norm, AttnShape &sh);
bool checkCombineFwd(ArgChecker &a, const mfrt_tensor *expert_out,
                     const mfrt_tensor *indices, const mfrt_tensor *scores,
                     int64_t num_experts, const mfrt_tensor *out,
                     IndexCheck checkIndices);
bool checkRouterFwd(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *w,
                    const mfrt_tensor *bias, int scoring, int64_t top_k,
                    const mfrt_tensor *scores, const mfrt_tensor *indices,
                    const mfrt_tensor *probs);

bool checkSumSquares(ArgChecker &a, const mfrt_tensor *g, const double *acc);
bool checkGlobalNorm(ArgChecker &a, const mfrt_tensor *const *grads,
                     int64_t count, const mfrt_tensor *out);

/// mfrt_clip_scale / mfrt_cuda_clip_scale (a host-side scalar rule, see
/// mfrt_optim.h), with `fn` naming the entry point in errors.
mfrt_status clipScale(const char *fn, double norm, double max_norm,
                      double *scale, int32_t *apply);

} // namespace mfrt

#endif // MOEFOLD_RUNTIME_SRC_OPCHECKS_H
