//===- BufferMemory.h - where a compiled program's buffers live -*- C++ -*-===//
//
// The shims are built twice: for the cpu backend (buffers in host memory) and
// with MFRT_MLIR_ABI_CUDA for the cuda backends (buffers in device memory,
// docs/gpu-programs.md). Every place a shim moves buffer bytes itself (a
// scalar result, a flag, a bucket slot, a block of a collective) goes through
// these four functions, so the same shim source is right in both builds.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_MLIR_ABI_BUFFERMEMORY_H
#define MOEFOLD_RUNTIME_MLIR_ABI_BUFFERMEMORY_H

#include "moefold_runtime/mfrt.h"

#include <cstddef>
#include <cstring>

#ifdef MFRT_MLIR_ABI_CUDA
#include "moefold_runtime/mfrt_device.h"
#endif

namespace mfrt::mlir_abi {

#ifdef MFRT_MLIR_ABI_CUDA
inline constexpr bool kDeviceBuffers = true;
inline mfrt_status bufferToHost(void *dst, const void *src, size_t bytes) {
  return bytes ? mfrt_device_copy_to_host(dst, src, bytes) : MFRT_OK;
}
inline mfrt_status hostToBuffer(void *dst, const void *src, size_t bytes) {
  return bytes ? mfrt_device_copy_to_device(dst, src, bytes) : MFRT_OK;
}
inline mfrt_status bufferToBuffer(void *dst, const void *src, size_t bytes) {
  return bytes ? mfrt_device_copy(dst, src, bytes) : MFRT_OK;
}
inline mfrt_status zeroBuffer(void *dst, size_t bytes) {
  return bytes ? mfrt_device_zero(dst, bytes) : MFRT_OK;
}
#else
inline constexpr bool kDeviceBuffers = false;
inline mfrt_status bufferToHost(void *dst, const void *src, size_t bytes) {
  if (bytes)
    std::memcpy(dst, src, bytes);
  return MFRT_OK;
}
inline mfrt_status hostToBuffer(void *dst, const void *src, size_t bytes) {
  return bufferToHost(dst, src, bytes);
}
inline mfrt_status bufferToBuffer(void *dst, const void *src, size_t bytes) {
  if (bytes)
    std::memmove(dst, src, bytes);
  return MFRT_OK;
}
inline mfrt_status zeroBuffer(void *dst, size_t bytes) {
  if (bytes)
    std::memset(dst, 0, bytes);
  return MFRT_OK;
}
#endif

} // namespace mfrt::mlir_abi

#endif // MOEFOLD_RUNTIME_MLIR_ABI_BUFFERMEMORY_H
