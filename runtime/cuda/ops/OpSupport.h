//===- OpSupport.h - host-side helpers of the cuda backend's entry points -===//
//
// Entry points validate descriptors with the runtime's ArgChecker (allowing
// bf16), then dispatch on the storage type and queue kernels. Nothing here
// dereferences tensor data: it lives in device memory.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_CUDA_OPS_OPSUPPORT_H
#define MOEFOLD_RUNTIME_CUDA_OPS_OPSUPPORT_H

#include "../Context.h"
#include "../kernels/Portable.h"

#include "OpChecks.h"
#include "Support.h"

namespace mfrt::gpu {

/// f(T{}) for the storage type of `dtype` (f32, f64 or bf16).
template <typename F> mfrt_status dispatchStorage(mfrt_dtype dtype, F &&f) {
  if (dtype == MFRT_F64)
    return f(double{});
  if (dtype == MFRT_BF16)
    return f(bf16{});
  return f(float{});
}

/// The bytes of a tensor's elements.
inline size_t bytesOf(const mfrt_tensor *t) {
  return size_t(numel(t)) * mfrt_dtype_size(t->dtype);
}

/// Zeroes an optional output on the device.
inline mfrt_status zeroDevice(const mfrt_tensor *t) {
  return t && t->data ? mfrt_device_zero(t->data, bytesOf(t)) : MFRT_OK;
}

/// Device-to-device copy of a whole tensor into an optional output.
inline mfrt_status copyDevice(const mfrt_tensor *from, const mfrt_tensor *to) {
  return to && to->data ? mfrt_device_copy(to->data, from->data, bytesOf(from))
                        : MFRT_OK;
}

} // namespace mfrt::gpu

#endif // MOEFOLD_RUNTIME_CUDA_OPS_OPSUPPORT_H
