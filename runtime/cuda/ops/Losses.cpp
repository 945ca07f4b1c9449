//===- Losses.cpp - moe.cross_entropy forward and backward on the device -===//
//
// One thread per token row computes the row's log-sum-exp (a max pass and a
// sum pass over V) into an accumulation-type scratch; the forward then sums
// the per-row losses in one thread (sequentially, in token order), the
// backward writes dlogits one thread per element. dloss is read on the
// device. Targets are validated on the device first (DenseSupport.h).
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "DenseSupport.h"

using namespace mfrt;
using namespace mfrt::gpu;
using namespace mfrt::gpu::dense;

namespace {

/// lse[r] = log(sum_j exp(logits[r, j])), stably.
template <typename T>
void rowLogSumExp(const T *logits, Acc<T> *lse, int64_t t, int64_t v) {
  using A = Acc<T>;
  forEachRow(t, [=] MFRT_HD(int64_t r) {
    const T *row = logits + r * v;
    A mx = load(row, 0);
    for (int64_t j = 1; j < v; ++j) {
      A x = load(row, j);
      mx = x > mx ? x : mx;
    }
    A s = 0;
    for (int64_t j = 0; j < v; ++j)
      s += expAcc(load(row, j) - mx);
    lse[r] = mx + logAcc(s);
  });
}

template <typename T>
void crossEntropyFwd(const T *logits, const int32_t *targets, Acc<T> *lse,
                     T *loss, int64_t t, int64_t v, int64_t denom) {
  using A = Acc<T>;
  rowLogSumExp(logits, lse, t, v);
  forEach(1, [=] MFRT_HD(int64_t) {
    A sum = 0;
    for (int64_t r = 0; r < t; ++r)
      sum += lse[r] - load(logits, r * v + targets[r]);
    store(loss, 0, denom ? sum / A(denom) : A(0));
  });
}

template <typename T>
void crossEntropyBwd(const T *logits, const int32_t *targets, const T *dloss,
                     Acc<T> *lse, T *dlogits, int64_t t, int64_t v,
                     int64_t denom) {
  using A = Acc<T>;
  rowLogSumExp(logits, lse, t, v);
  forEach(t * v, [=] MFRT_HD(int64_t i) {
    int64_t r = i / v, j = i - r * v;
    A scale = denom ? load(dloss, 0) / A(denom) : A(0);
    A d = scale * expAcc(load(logits, i) - lse[r]);
    if (j == targets[r])
      d -= scale;
    store(dlogits, i, d);
  });
}

} // namespace

extern "C" mfrt_status mfrt_cuda_cross_entropy_fwd(const mfrt_tensor *logits,
                                                   const mfrt_tensor *targets,
                                                   int64_t num_tokens,
                                                   const mfrt_tensor *loss) {
  ArgChecker a("mfrt_cuda_cross_entropy_fwd");
  a.allowBf16();
  if (!checkCrossEntropy(a, logits, targets) || !a.floatScalar(loss, "loss"))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  if (!checkIndices(a, targets, lastDim(logits), "targets"))
    return a.status();
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t t = rows(logits), v = lastDim(logits);
    Scratch lse;
    if (mfrt_status st = lse.allocate(a.fn(), sizeof(Acc<T>) * size_t(t)))
      return st;
    crossEntropyFwd(ptr<const T>(logits), ptr<const int32_t>(targets),
                    lse.as<Acc<T>>(), ptr<T>(loss), t, v,
                    num_tokens > 0 ? num_tokens : t);
    return launched(a.fn());
  });
}

extern "C" mfrt_status mfrt_cuda_cross_entropy_bwd(const mfrt_tensor *logits,
                                                   const mfrt_tensor *targets,
                                                   int64_t num_tokens,
                                                   const mfrt_tensor *dloss,
                                                   const mfrt_tensor *dlogits) {
  ArgChecker a("mfrt_cuda_cross_entropy_bwd");
  a.allowBf16();
  if (!checkCrossEntropy(a, logits, targets) ||
      !a.floatScalar(dloss, "dloss") ||
      !a.optFloat(dlogits, "dlogits", Dims::of(logits)))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  if (!checkIndices(a, targets, lastDim(logits), "targets"))
    return a.status();
  if (!dlogits)
    return MFRT_OK;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t t = rows(logits), v = lastDim(logits);
    Scratch lse;
    if (mfrt_status st = lse.allocate(a.fn(), sizeof(Acc<T>) * size_t(t)))
      return st;
    crossEntropyBwd(ptr<const T>(logits), ptr<const int32_t>(targets),
                    ptr<const T>(dloss), lse.as<Acc<T>>(), ptr<T>(dlogits), t,
                    v, num_tokens > 0 ? num_tokens : t);
    return launched(a.fn());
  });
}
