//===- AuxLoss.cpp - load-balancing aux loss on the device ---------------===//
//
// f_e (routed fractions) is one thread per expert counting its copies over
// all T*K indices (deterministic, no atomics; O(E*T*K), fine for the expert
// counts of MoE models); P_e*T is one thread per expert summing its column
// of probs. The loss is a one-thread sum over E; the gradient one thread
// per element. Indices are validated on the device first.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "DenseSupport.h"

#include <cmath>

using namespace mfrt;
using namespace mfrt::gpu;
using namespace mfrt::gpu::dense;

namespace {

/// f[e] = |{i: indices[i] = e}| / n.
template <typename A>
void routedFractions(const int32_t *indices, int64_t n, A *f, int64_t e) {
  forEach(e, [=] MFRT_HD(int64_t x) {
    int64_t count = 0;
    for (int64_t i = 0; i < n; ++i)
      count += indices[i] == x;
    f[x] = n ? A(count) / A(n) : A(0);
  });
}

template <typename T>
void auxLossFwd(const T *probs, const int32_t *indices, Acc<T> *f,
                Acc<T> *colSum, T *loss, int64_t t, int64_t e, int64_t n,
                double coeff) {
  using A = Acc<T>;
  routedFractions(indices, n, f, e);
  forEach(e, [=] MFRT_HD(int64_t x) {
    A s = 0;
    for (int64_t r = 0; r < t; ++r)
      s += load(probs, r * e + x);
    colSum[x] = s;
  });
  forEach(1, [=] MFRT_HD(int64_t) {
    A sum = 0;
    for (int64_t x = 0; x < e; ++x)
      sum += f[x] * colSum[x];
    store(loss, 0, t ? A(coeff) * A(e) * sum / A(t) : A(0));
  });
}

template <typename T>
void auxLossBwd(const int32_t *indices, const T *dloss, Acc<T> *f, T *dprobs,
                int64_t t, int64_t e, int64_t n, double coeff) {
  using A = Acc<T>;
  routedFractions(indices, n, f, e);
  forEach(t * e, [=] MFRT_HD(int64_t i) {
    int64_t x = i % e;
    A scale = load(dloss, 0) * A(coeff) * A(e) / A(t ? t : 1);
    store(dprobs, i, scale * f[x]);
  });
}

} // namespace

extern "C" mfrt_status mfrt_cuda_aux_loss_fwd(const mfrt_tensor *probs,
                                              const mfrt_tensor *indices,
                                              double coeff,
                                              const mfrt_tensor *loss) {
  ArgChecker a("mfrt_cuda_aux_loss_fwd");
  a.allowBf16();
  if (!checkAux(a, probs, indices, coeff) || !a.floatScalar(loss, "loss"))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  int64_t e = lastDim(probs), t = rows(probs);
  if (!checkIndices(a, indices, e, "indices"))
    return a.status();
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    Scratch f, col;
    if (mfrt_status st = f.allocate(a.fn(), sizeof(Acc<T>) * size_t(e)))
      return st;
    if (mfrt_status st = col.allocate(a.fn(), sizeof(Acc<T>) * size_t(e)))
      return st;
    auxLossFwd(ptr<const T>(probs), ptr<const int32_t>(indices),
               f.as<Acc<T>>(), col.as<Acc<T>>(), ptr<T>(loss), t, e,
               numel(indices), coeff);
    return launched(a.fn());
  });
}

extern "C" mfrt_status mfrt_cuda_aux_loss_bwd(const mfrt_tensor *probs,
                                              const mfrt_tensor *indices,
                                              double coeff,
                                              const mfrt_tensor *dloss,
                                              const mfrt_tensor *dprobs) {
  ArgChecker a("mfrt_cuda_aux_loss_bwd");
  a.allowBf16();
  if (!checkAux(a, probs, indices, coeff) || !a.floatScalar(dloss, "dloss") ||
      !a.optFloat(dprobs, "dprobs", Dims::of(probs)))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  int64_t e = lastDim(probs), t = rows(probs);
  if (!checkIndices(a, indices, e, "indices"))
    return a.status();
  if (!dprobs)
    return MFRT_OK;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    Scratch f;
    if (mfrt_status st = f.allocate(a.fn(), sizeof(Acc<T>) * size_t(e)))
      return st;
    auxLossBwd(ptr<const int32_t>(indices), ptr<const T>(dloss),
               f.as<Acc<T>>(), ptr<T>(dprobs), t, e, numel(indices), coeff);
    return launched(a.fn());
  });
}
