//===- Swiglu.cpp - moe.swiglu forward and backward on the device --------===//
//
// Elementwise, one thread per element, in the accumulation type.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "DenseSupport.h"

using namespace mfrt;
using namespace mfrt::gpu;
using namespace mfrt::gpu::dense;

template <typename T>
static void swigluFwd(const T *gate, const T *up, T *out, int64_t n) {
  forEach(n, [=] MFRT_HD(int64_t i) {
    store(out, i, siluAcc(load(gate, i)) * load(up, i));
  });
}

template <typename T>
static void swigluBwd(const T *gate, const T *up, const T *dout, T *dgate,
                      T *dup, int64_t n) {
  forEach(n, [=] MFRT_HD(int64_t i) {
    Acc<T> g = load(gate, i), d = load(dout, i);
    if (dgate)
      store(dgate, i, d * load(up, i) * siluGradAcc(g));
    if (dup)
      store(dup, i, d * siluAcc(g));
  });
}

extern "C" mfrt_status mfrt_cuda_swiglu_fwd(const mfrt_tensor *gate,
                                            const mfrt_tensor *up,
                                            const mfrt_tensor *out) {
  ArgChecker a("mfrt_cuda_swiglu_fwd");
  a.allowBf16();
  if (!checkSwigluFwd(a, gate, up, out))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    swigluFwd(ptr<const T>(gate), ptr<const T>(up), ptr<T>(out), numel(gate));
    return launched(a.fn());
  });
}

extern "C" mfrt_status mfrt_cuda_swiglu_bwd(const mfrt_tensor *gate,
                                            const mfrt_tensor *up,
                                            const mfrt_tensor *dout,
                                            const mfrt_tensor *dgate,
                                            const mfrt_tensor *dup) {
  ArgChecker a("mfrt_cuda_swiglu_bwd");
  a.allowBf16();
  if (!checkSwigluBwd(a, gate, up, dout, dgate, dup))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    swigluBwd(ptr<const T>(gate), ptr<const T>(up), ptr<const T>(dout),
              dgate ? ptr<T>(dgate) : nullptr, dup ? ptr<T>(dup) : nullptr,
              numel(gate));
    return launched(a.fn());
  });
}
