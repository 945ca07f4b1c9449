//===- Add.cpp - moe.add forward and backward on the device --------------===//

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "OpSupport.h"

using namespace mfrt;
using namespace mfrt::gpu;

// Kernels are function templates over the storage type: nvcc does not allow
// a device lambda inside the generic lambda of dispatchStorage.
template <typename T>
static void addKernel(const T *x, const T *y, T *z, int64_t n) {
  forEach(n, [=] MFRT_HD(int64_t i) { store(z, i, load(x, i) + load(y, i)); });
}

extern "C" mfrt_status mfrt_cuda_add_fwd(const mfrt_tensor *a_,
                                         const mfrt_tensor *b,
                                         const mfrt_tensor *out) {
  ArgChecker a("mfrt_cuda_add_fwd");
  a.allowBf16();
  if (!checkAddFwd(a, a_, b, out))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    addKernel(ptr<const T>(a_), ptr<const T>(b), ptr<T>(out), numel(a_));
    return launched(a.fn());
  });
}

extern "C" mfrt_status mfrt_cuda_add_bwd(const mfrt_tensor *dout,
                                         const mfrt_tensor *da,
                                         const mfrt_tensor *db) {
  ArgChecker a("mfrt_cuda_add_bwd");
  a.allowBf16();
  if (!checkAddBwd(a, dout, da, db))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  if (mfrt_status st = copyDevice(dout, da))
    return st;
  return copyDevice(dout, db);
}
