//===- Shims.cpp - the mfrt_mlir_* entry points compiled programs call ----===//
//
// moe-lower-to-runtime turns every moe op into one call
//
//   mfrt_mlir_<op>_<fwd|bwd>_<f32|f64>(operands..., attributes..., results...)
//
// where every buffer is an unranked memref (two C arguments: rank and
// descriptor pointer, see MemRef.h) and attributes are int32/int64/double
// scalars. Each shim views the buffers as mfrt_tensors and calls the kernel;
// a kernel error prints "moefold runtime: <moe op>: <mfrt_last_error()>" to
// stderr and exits with status 1. Float buffers of an `_f32` shim are f32,
// of an `_f64` shim f64; index buffers are i32; flags (`apply`) are i1 held
// in one byte.
//
// Built twice: for the cpu backend (library moefold_mlir_abi: buffers in host
// memory, kernels mfrt_X) and with MFRT_MLIR_ABI_CUDA for the cuda backends
// (moefold_mlir_abi_cuda[_emulated]: buffers in device memory, kernels
// mfrt_cuda_X, every byte the shim itself reads or writes copied through
// BufferMemory.h; docs/gpu-programs.md).
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_ops.h"
#include "moefold_runtime/mfrt_optim.h"
#include "moefold_runtime/mfrt_rng.h"

#include "BufferMemory.h"
#include "MemRef.h"

#ifdef MFRT_MLIR_ABI_CUDA
#include "moefold_runtime/mfrt_cuda_ops.h"
#define MFRT_KERNEL(X) mfrt_cuda_##X
#define MFRT_FILL mfrt_cuda_fill
#else
#define MFRT_KERNEL(X) mfrt_##X
#define MFRT_FILL mfrt_init_constant
#endif

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

using namespace mfrt::mlir_abi;

namespace {

/// Collects the tensor views of one call and reports failures under the
/// moe op's name.
class Call {
public:
  Call(const char *op, mfrt_dtype floatType) : op_(op), float_(floatType) {}

  /// A float buffer of the call's float type.
  const mfrt_tensor *f(int64_t rank, void *desc) {
    return view(rank, desc, float_);
  }
  /// An i32 index buffer.
  const mfrt_tensor *i(int64_t rank, void *desc) {
    return view(rank, desc, MFRT_I32);
  }
  /// Stores into a one-element float buffer.
  void setScalar(int64_t rank, void *desc, double value) {
    const mfrt_tensor *t = f(rank, desc);
    expectOne(t);
    float narrow = float(value);
    if (float_ == MFRT_F64)
      check(hostToBuffer(t->data, &value, sizeof(value)));
    else
      check(hostToBuffer(t->data, &narrow, sizeof(narrow)));
  }
  /// The value of a one-element i32 buffer (a vocabulary offset).
  int64_t offset(int64_t rank, void *desc) {
    const mfrt_tensor *t = i(rank, desc);
    expectOne(t);
    int32_t value = 0;
    check(bufferToHost(&value, t->data, sizeof(value)));
    return value;
  }
  /// Stores an i1 flag (one byte, 0 or 1).
  void setFlag(int64_t rank, void *desc, bool value) {
    uint8_t byte = value ? 1 : 0;
    check(hostToBuffer(flagPtr(rank, desc), &byte, 1));
  }
  void check(mfrt_status status) {
    if (status != MFRT_OK)
      fatal(op_, mfrt_last_error());
  }

private:
  const mfrt_tensor *view(int64_t rank, void *desc, mfrt_dtype dtype) {
    if (n_ == kMax)
      fatal(op_, "too many buffers in one call");
    char why[256];
    if (!viewMemRef(rank, desc, dtype, &t_[n_], why, sizeof(why)))
      fatal(op_, why);
    return &t_[n_++];
  }
  void expectOne(const mfrt_tensor *t) {
    if (mfrt_tensor_numel(t) != 1)
      fatal(op_, "expected a one-element buffer");
  }
  uint8_t *flagPtr(int64_t rank, void *desc) {
    const mfrt_tensor *t = view(rank, desc, MFRT_I32); // layout only
    if (mfrt_tensor_numel(t) != 1)
      fatal(op_, "expected a one-element flag buffer");
    // The view scaled the offset by 4 bytes; flags are one byte wide.
    auto *d = static_cast<RankedDescriptor *>(desc);
    return static_cast<uint8_t *>(d->aligned) + d->offset;
  }

  static constexpr int kMax = 16;
  const char *op_;
  mfrt_dtype float_;
  mfrt_tensor t_[kMax];
  int n_ = 0;
};

} // namespace

// One memref parameter / argument.
#define MR(n) int64_t n##_rank, void *n##_desc
#define M(n) n##_rank, n##_desc

// Defines mfrt_mlir_<NAME>_f32 and _f64 with the same parameters and body;
// inside the body `c` is the Call and `F` the float dtype.
#define SHIM(NAME, OP, PARAMS, ...)                                            \
  extern "C" void mfrt_mlir_##NAME##_f32 PARAMS {                              \
    Call c(OP, MFRT_F32);                                                      \
    __VA_ARGS__                                                                \
  }                                                                            \
  extern "C" void mfrt_mlir_##NAME##_f64 PARAMS {                              \
    Call c(OP, MFRT_F64);                                                      \
    __VA_ARGS__                                                                \
  }

//===----------------------------------------------------------------------===//
// Forward ops
//===----------------------------------------------------------------------===//

SHIM(embedding_fwd, "moe.embedding", (MR(table), MR(tokens), MR(out)),
     c.check(MFRT_KERNEL(embedding_fwd)(c.f(M(table)), c.i(M(tokens)), c.f(M(out))));)

SHIM(rms_norm_fwd, "moe.rms_norm", (MR(x), MR(w), double eps, MR(out)),
     c.check(MFRT_KERNEL(rms_norm_fwd)(c.f(M(x)), c.f(M(w)), eps, c.f(M(out))));)

SHIM(linear_fwd, "moe.linear", (MR(x), MR(w), MR(out)),
     c.check(MFRT_KERNEL(linear_fwd)(c.f(M(x)), c.f(M(w)), c.f(M(out))));)

SHIM(attention_fwd, "moe.attention",
     (MR(q), MR(k), MR(v), int64_t num_heads, int64_t num_kv_heads,
      int32_t causal, double rope_theta, MR(out)),
     c.check(MFRT_KERNEL(attention_fwd)(c.f(M(q)), c.f(M(k)), c.f(M(v)), num_heads,
                                num_kv_heads, causal, rope_theta,
                                c.f(M(out))));)

SHIM(attention_qknorm_fwd, "moe.attention",
     (MR(q), MR(k), MR(v), MR(q_norm), MR(k_norm), int64_t num_heads,
      int64_t num_kv_heads, int32_t causal, double rope_theta, double epsilon,
      MR(out)),
     c.check(MFRT_KERNEL(attention_qknorm_fwd)(
         c.f(M(q)), c.f(M(k)), c.f(M(v)), c.f(M(q_norm)), c.f(M(k_norm)),
         num_heads, num_kv_heads, causal, rope_theta, epsilon, c.f(M(out))));)

SHIM(swiglu_fwd, "moe.swiglu", (MR(gate), MR(up), MR(out)),
     c.check(MFRT_KERNEL(swiglu_fwd)(c.f(M(gate)), c.f(M(up)), c.f(M(out))));)

SHIM(add_fwd, "moe.add", (MR(a), MR(b), MR(out)),
     c.check(MFRT_KERNEL(add_fwd)(c.f(M(a)), c.f(M(b)), c.f(M(out))));)

SHIM(router_fwd, "moe.router",
     (MR(x), MR(w), MR(bias), int32_t has_bias, int32_t scoring, int64_t top_k,
      int32_t renormalize, MR(scores), MR(indices), MR(probs)),
     const mfrt_tensor *xt = c.f(M(x));
     const mfrt_tensor *wt = c.f(M(w));
     const mfrt_tensor *bt = has_bias ? c.f(M(bias)) : nullptr;
     c.check(MFRT_KERNEL(router_fwd)(xt, wt, bt,
                             static_cast<mfrt_router_scoring>(scoring), top_k,
                             renormalize, c.f(M(scores)), c.i(M(indices)),
                             c.f(M(probs))));)

SHIM(dispatch_fwd, "moe.dispatch",
     (MR(x), MR(indices), int64_t num_experts, MR(sorted), MR(group_sizes)),
     c.check(MFRT_KERNEL(dispatch_fwd)(c.f(M(x)), c.i(M(indices)), num_experts,
                               c.f(M(sorted)), c.i(M(group_sizes))));)

SHIM(dispatch_scaled_fwd, "moe.dispatch",
     (MR(x), MR(indices), MR(scores), int64_t num_experts, MR(sorted),
      MR(group_sizes)),
     c.check(MFRT_KERNEL(dispatch_scaled_fwd)(c.f(M(x)), c.i(M(indices)),
                                      c.f(M(scores)), num_experts,
                                      c.f(M(sorted)), c.i(M(group_sizes))));)

SHIM(experts_fwd, "moe.experts",
     (MR(sorted), MR(group_sizes), MR(w_gate), MR(w_up), MR(w_down), MR(out)),
     c.check(MFRT_KERNEL(experts_fwd)(c.f(M(sorted)), c.i(M(group_sizes)),
                              c.f(M(w_gate)), c.f(M(w_up)), c.f(M(w_down)),
                              c.f(M(out))));)

// Integer only: no float variants.
extern "C" void mfrt_mlir_peer_counts(MR(counts), int64_t peers, MR(out)) {
  Call c("moe.peer_counts", MFRT_F32);
  c.check(MFRT_KERNEL(peer_counts)(c.i(M(counts)), peers, c.i(M(out))));
}

// moe.combine does not carry the expert count; when the lowering could not
// find it (num_experts <= 0), max(indices) + 1 orders the rows of
// expert_out exactly as the true count does (empty trailing experts add no
// rows).
static int64_t expertCount(const mfrt_tensor *indices, int64_t numExperts) {
  if (numExperts > 0)
    return numExperts;
  int64_t n = mfrt_tensor_numel(indices), e = 1;
  std::vector<int32_t> host(size_t(n > 0 ? n : 0));
  if (bufferToHost(host.data(), indices->data, host.size() * sizeof(int32_t)) !=
      MFRT_OK)
    fatal("moe.combine", mfrt_last_error());
  const int32_t *idx = host.data();
  for (int64_t i = 0; i < n; ++i)
    if (idx[i] >= e)
      e = int64_t(idx[i]) + 1;
  return e;
}

SHIM(combine_fwd, "moe.combine",
     (MR(expert_out), MR(indices), MR(scores), int64_t num_experts, MR(out)),
     const mfrt_tensor *idx = c.i(M(indices));
     c.check(MFRT_KERNEL(combine_fwd)(c.f(M(expert_out)), idx, c.f(M(scores)),
                              expertCount(idx, num_experts), c.f(M(out))));)

SHIM(combine_sum_fwd, "moe.combine",
     (MR(expert_out), MR(indices), int64_t num_experts, MR(out)),
     const mfrt_tensor *idx = c.i(M(indices));
     c.check(MFRT_KERNEL(combine_fwd)(c.f(M(expert_out)), idx, nullptr,
                              expertCount(idx, num_experts), c.f(M(out))));)

SHIM(shared_expert_fwd, "moe.shared_expert",
     (MR(x), MR(w_gate), MR(w_up), MR(w_down), MR(gate), int32_t has_gate,
      MR(out)),
     const mfrt_tensor *xt = c.f(M(x));
     const mfrt_tensor *wg = c.f(M(w_gate));
     const mfrt_tensor *wu = c.f(M(w_up));
     const mfrt_tensor *wd = c.f(M(w_down));
     const mfrt_tensor *gt = has_gate ? c.f(M(gate)) : nullptr;
     c.check(MFRT_KERNEL(shared_expert_fwd)(xt, wg, wu, wd, gt, c.f(M(out))));)

SHIM(aux_loss_fwd, "moe.aux_loss",
     (MR(probs), MR(indices), double coefficient, MR(out)),
     c.check(MFRT_KERNEL(aux_loss_fwd)(c.f(M(probs)), c.i(M(indices)), coefficient,
                               c.f(M(out))));)

SHIM(cross_entropy_fwd, "moe.cross_entropy",
     (MR(logits), MR(targets), int64_t num_tokens, MR(out)),
     c.check(MFRT_KERNEL(cross_entropy_fwd)(c.f(M(logits)), c.i(M(targets)), num_tokens,
                                    c.f(M(out))));)

// Vocab-parallel cross-entropy. The vocabulary offset arrives as this
// rank's one-element i32 slice of the shards' offsets.
SHIM(vocab_max_fwd, "moe.vocab_max", (MR(logits), MR(out)),
     c.check(MFRT_KERNEL(vocab_max_fwd)(c.f(M(logits)), c.f(M(out))));)

SHIM(vocab_sumexp_fwd, "moe.vocab_sumexp", (MR(logits), MR(max), MR(out)),
     c.check(MFRT_KERNEL(vocab_sumexp_fwd)(c.f(M(logits)), c.f(M(max)),
                                   c.f(M(out))));)

SHIM(vocab_target_logit_fwd, "moe.vocab_target_logit",
     (MR(logits), MR(offset), MR(targets), int64_t vocab_size, MR(out)),
     c.check(MFRT_KERNEL(vocab_target_logit_fwd)(c.f(M(logits)), c.i(M(targets)),
                                         c.offset(M(offset)), vocab_size,
                                         c.f(M(out))));)

SHIM(vocab_cross_entropy_fwd, "moe.vocab_cross_entropy",
     (MR(max), MR(sumexp), MR(target_logit), int64_t num_tokens, MR(out)),
     c.check(MFRT_KERNEL(vocab_cross_entropy_fwd)(c.f(M(max)), c.f(M(sumexp)),
                                          c.f(M(target_logit)), num_tokens,
                                          c.f(M(out))));)

SHIM(fill_fwd, "moe.fill", (double value, MR(out)),
     c.check(MFRT_FILL(c.f(M(out)), value));)

//===----------------------------------------------------------------------===//
// Gradient ops (docs/design/training-step.md §2: forward operands, output
// gradients -> input gradients)
//===----------------------------------------------------------------------===//

SHIM(embedding_bwd, "moe.embedding_grad", (MR(tokens), MR(dout), MR(dtable)),
     c.check(MFRT_KERNEL(embedding_bwd)(c.i(M(tokens)), c.f(M(dout)), c.f(M(dtable))));)

SHIM(rms_norm_bwd, "moe.rms_norm_grad",
     (MR(x), MR(w), MR(dout), double eps, MR(dx), MR(dw)),
     c.check(MFRT_KERNEL(rms_norm_bwd)(c.f(M(x)), c.f(M(w)), eps, c.f(M(dout)),
                               c.f(M(dx)), c.f(M(dw))));)

SHIM(linear_bwd, "moe.linear_grad", (MR(x), MR(w), MR(dout), MR(dx), MR(dw)),
     c.check(MFRT_KERNEL(linear_bwd)(c.f(M(x)), c.f(M(w)), c.f(M(dout)), c.f(M(dx)),
                             c.f(M(dw))));)

SHIM(attention_bwd, "moe.attention_grad",
     (MR(q), MR(k), MR(v), MR(dout), int64_t num_heads, int64_t num_kv_heads,
      int32_t causal, double rope_theta, MR(dq), MR(dk), MR(dv)),
     c.check(MFRT_KERNEL(attention_bwd)(c.f(M(q)), c.f(M(k)), c.f(M(v)), num_heads,
                                num_kv_heads, causal, rope_theta, c.f(M(dout)),
                                c.f(M(dq)), c.f(M(dk)), c.f(M(dv))));)

SHIM(attention_qknorm_bwd, "moe.attention_grad",
     (MR(q), MR(k), MR(v), MR(dout), MR(q_norm), MR(k_norm), int64_t num_heads,
      int64_t num_kv_heads, int32_t causal, double rope_theta, double epsilon,
      MR(dq), MR(dk), MR(dv), MR(dq_norm), MR(dk_norm)),
     c.check(MFRT_KERNEL(attention_qknorm_bwd)(
         c.f(M(q)), c.f(M(k)), c.f(M(v)), c.f(M(q_norm)), c.f(M(k_norm)),
         num_heads, num_kv_heads, causal, rope_theta, epsilon, c.f(M(dout)),
         c.f(M(dq)), c.f(M(dk)), c.f(M(dv)), c.f(M(dq_norm)),
         c.f(M(dk_norm))));)

SHIM(swiglu_bwd, "moe.swiglu_grad",
     (MR(gate), MR(up), MR(dout), MR(dgate), MR(dup)),
     c.check(MFRT_KERNEL(swiglu_bwd)(c.f(M(gate)), c.f(M(up)), c.f(M(dout)),
                             c.f(M(dgate)), c.f(M(dup))));)

SHIM(router_bwd, "moe.router_grad",
     (MR(x), MR(w), MR(probs), MR(indices), MR(dscores), MR(dprobs),
      int32_t scoring, int32_t renormalize, MR(dx), MR(dw)),
     c.check(MFRT_KERNEL(router_bwd)(c.f(M(x)), c.f(M(w)),
                             static_cast<mfrt_router_scoring>(scoring),
                             renormalize, c.f(M(probs)), c.i(M(indices)),
                             c.f(M(dscores)), c.f(M(dprobs)), c.f(M(dx)),
                             c.f(M(dw))));)

SHIM(dispatch_bwd, "moe.dispatch_grad",
     (MR(indices), MR(dsorted), int64_t num_experts, MR(dx)),
     c.check(MFRT_KERNEL(dispatch_bwd)(c.i(M(indices)), num_experts, c.f(M(dsorted)),
                               c.f(M(dx))));)

SHIM(dispatch_scaled_bwd, "moe.dispatch_grad",
     (MR(x), MR(indices), MR(scores), MR(dsorted), int64_t num_experts, MR(dx),
      MR(dscores)),
     c.check(MFRT_KERNEL(dispatch_scaled_bwd)(c.f(M(x)), c.i(M(indices)),
                                      c.f(M(scores)), num_experts,
                                      c.f(M(dsorted)), c.f(M(dx)),
                                      c.f(M(dscores))));)

SHIM(experts_bwd, "moe.experts_grad",
     (MR(sorted), MR(group_sizes), MR(w_gate), MR(w_up), MR(w_down), MR(dout),
      MR(dsorted), MR(dw_gate), MR(dw_up), MR(dw_down)),
     c.check(MFRT_KERNEL(experts_bwd)(c.f(M(sorted)), c.i(M(group_sizes)),
                              c.f(M(w_gate)), c.f(M(w_up)), c.f(M(w_down)),
                              c.f(M(dout)), c.f(M(dsorted)), c.f(M(dw_gate)),
                              c.f(M(dw_up)), c.f(M(dw_down))));)

SHIM(combine_bwd, "moe.combine_grad",
     (MR(expert_out), MR(indices), MR(scores), MR(dout), int64_t num_experts,
      MR(dexpert_out), MR(dscores)),
     c.check(MFRT_KERNEL(combine_bwd)(c.f(M(expert_out)), c.i(M(indices)),
                              c.f(M(scores)), num_experts, c.f(M(dout)),
                              c.f(M(dexpert_out)), c.f(M(dscores))));)

SHIM(combine_sum_bwd, "moe.combine_grad",
     (MR(expert_out), MR(indices), MR(dout), int64_t num_experts,
      MR(dexpert_out)),
     c.check(MFRT_KERNEL(combine_bwd)(c.f(M(expert_out)), c.i(M(indices)), nullptr,
                              num_experts, c.f(M(dout)), c.f(M(dexpert_out)),
                              nullptr));)

SHIM(shared_expert_bwd, "moe.shared_expert_grad",
     (MR(x), MR(w_gate), MR(w_up), MR(w_down), MR(gate), MR(dout),
      int32_t has_gate, MR(dx), MR(dw_gate), MR(dw_up), MR(dw_down), MR(dgate)),
     const mfrt_tensor *xt = c.f(M(x));
     const mfrt_tensor *wg = c.f(M(w_gate));
     const mfrt_tensor *wu = c.f(M(w_up));
     const mfrt_tensor *wd = c.f(M(w_down));
     const mfrt_tensor *gt = has_gate ? c.f(M(gate)) : nullptr;
     const mfrt_tensor *dot = c.f(M(dout)); const mfrt_tensor *dxt = c.f(M(dx));
     const mfrt_tensor *dwg = c.f(M(dw_gate));
     const mfrt_tensor *dwu = c.f(M(dw_up));
     const mfrt_tensor *dwd = c.f(M(dw_down));
     const mfrt_tensor *dgt = has_gate ? c.f(M(dgate)) : nullptr;
     c.check(MFRT_KERNEL(shared_expert_bwd)(xt, wg, wu, wd, gt, dot, dxt, dwg, dwu, dwd,
                                    dgt));)

SHIM(aux_loss_bwd, "moe.aux_loss_grad",
     (MR(probs), MR(indices), MR(dloss), double coefficient, MR(dprobs)),
     c.check(MFRT_KERNEL(aux_loss_bwd)(c.f(M(probs)), c.i(M(indices)), coefficient,
                               c.f(M(dloss)), c.f(M(dprobs))));)

SHIM(cross_entropy_bwd, "moe.cross_entropy_grad",
     (MR(logits), MR(targets), MR(dloss), int64_t num_tokens, MR(dlogits)),
     c.check(MFRT_KERNEL(cross_entropy_bwd)(c.f(M(logits)), c.i(M(targets)), num_tokens,
                                    c.f(M(dloss)), c.f(M(dlogits))));)

SHIM(vocab_cross_entropy_bwd, "moe.vocab_cross_entropy_grad",
     (MR(logits), MR(offset), MR(targets), MR(max), MR(sumexp), MR(dloss),
      int64_t num_tokens, MR(dlogits)),
     c.check(MFRT_KERNEL(vocab_cross_entropy_bwd)(
         c.f(M(logits)), c.i(M(targets)), c.offset(M(offset)), c.f(M(max)),
         c.f(M(sumexp)), c.f(M(dloss)), num_tokens, c.f(M(dlogits))));)

//===----------------------------------------------------------------------===//
// Norm, clipping and optimizers
//===----------------------------------------------------------------------===//

// moe.global_norm g1..gn lowers to one sum_squares call per operand (each
// returns its sum of squares in double), summed by the program in operand
// order, then global_norm writes sqrt(total).
extern "C" double mfrt_mlir_sum_squares_f32(MR(g)) {
  Call c("moe.global_norm", MFRT_F32);
  double acc = 0;
  c.check(MFRT_KERNEL(sum_squares)(c.f(M(g)), &acc));
  return acc;
}
extern "C" double mfrt_mlir_sum_squares_f64(MR(g)) {
  Call c("moe.global_norm", MFRT_F64);
  double acc = 0;
  c.check(MFRT_KERNEL(sum_squares)(c.f(M(g)), &acc));
  return acc;
}

SHIM(global_norm, "moe.global_norm", (double sum_squares, MR(out)),
     c.setScalar(M(out), std::sqrt(sum_squares));)

// Scalar operands (norm, scale, lr, step, apply) arrive as values: the
// program loads them from their 0-d buffers, widening floats to double and
// the i1 flag to int32, so the shims never guess a buffer's element type.
// The clipping factor is arithmetic on host scalars: the cpu function serves
// both builds.
SHIM(clip_scale, "moe.clip_scale",
     (double norm, double max_norm, MR(scale), MR(apply)), double s = 1;
     int32_t ap = 0; c.check(mfrt_clip_scale(norm, max_norm, &s, &ap));
     c.setScalar(M(scale), s); c.setFlag(M(apply), ap != 0);)

SHIM(sgd_step, "moe.sgd_step",
     (MR(param), MR(grad), double scale, double lr, int32_t apply,
      double weight_decay, MR(new_param)),
     const mfrt_tensor *p = c.f(M(param));
     const mfrt_tensor *g = c.f(M(grad));
     c.check(MFRT_KERNEL(sgd_step)(p, g, scale, lr, apply, weight_decay,
                           c.f(M(new_param))));)

SHIM(adamw_step, "moe.adamw_step",
     (MR(param), MR(grad), MR(m), MR(v), double scale, double lr, double step,
      int32_t apply, double beta1, double beta2, double epsilon,
      double weight_decay, MR(new_param), MR(new_m), MR(new_v)),
     const mfrt_tensor *p = c.f(M(param));
     const mfrt_tensor *g = c.f(M(grad)); const mfrt_tensor *mt = c.f(M(m));
     const mfrt_tensor *vt = c.f(M(v));
     c.check(MFRT_KERNEL(adamw_step)(p, g, mt, vt, scale, lr, step, apply, beta1, beta2,
                             epsilon, weight_decay, c.f(M(new_param)),
                             c.f(M(new_m)), c.f(M(new_v))));)

//===----------------------------------------------------------------------===//
// Gradient buckets (moe.pack / moe.unpack): one call per part, copying the
// part's elements to or from its slot at element `offset` of the bucket.
//===----------------------------------------------------------------------===//

namespace {
void copySlot(const char *op, const mfrt_tensor *part,
              const mfrt_tensor *bucket, int64_t offset, bool intoBucket) {
  int64_t n = mfrt_tensor_numel(part), total = mfrt_tensor_numel(bucket);
  if (n < 0 || total < 0 || offset < 0 || offset > total - n)
    fatal(op, "the part's slot lies outside the bucket");
  size_t elementSize = mfrt_dtype_size(part->dtype);
  char *slot = static_cast<char *>(bucket->data) + offset * elementSize;
  mfrt_status st =
      intoBucket ? bufferToBuffer(slot, part->data, size_t(n) * elementSize)
                 : bufferToBuffer(part->data, slot, size_t(n) * elementSize);
  if (st != MFRT_OK)
    fatal(op, mfrt_last_error());
}
} // namespace

SHIM(pack_fwd, "moe.pack", (MR(part), int64_t offset, MR(bucket)),
     const mfrt_tensor *p = c.f(M(part));
     copySlot("moe.pack", p, c.f(M(bucket)), offset, true);)

SHIM(unpack_fwd, "moe.unpack", (MR(bucket), int64_t offset, MR(part)),
     const mfrt_tensor *b = c.f(M(bucket));
     copySlot("moe.unpack", c.f(M(part)), b, offset, false);)
