//===- Fill.cpp - moe.fill on the device ----------------------------------===//

#include "moefold_runtime/mfrt_device.h"

#include "OpSupport.h"

using namespace mfrt;
using namespace mfrt::gpu;

template <typename T> static void fillKernel(T *out, int64_t n, double value) {
  forEach(n, [=] MFRT_HD(int64_t i) { store(out, i, Acc<T>(value)); });
}

extern "C" mfrt_status mfrt_cuda_fill(const mfrt_tensor *out, double value) {
  ArgChecker a("mfrt_cuda_fill");
  a.allowBf16();
  if (!a.floatTensor(out, "out"))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    fillKernel(ptr<T>(out), numel(out), value);
    return launched(a.fn());
  });
}
