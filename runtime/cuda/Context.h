//===- Context.h - per-process device state shared by the kernels -------===//
//
// Implemented twice: device/Context.cu (a CUDA device, its compute stream,
// cuBLAS handle and caching allocator) and emulation/Context.cpp (host
// memory, launches as loops). Kernels call ready() before queuing work and
// launched() after it.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_CUDA_CONTEXT_H
#define MOEFOLD_RUNTIME_CUDA_CONTEXT_H

#include "moefold_runtime/mfrt_device.h"

namespace mfrt::gpu {

/// Initialises device 0 unless mfrt_device_init already chose one; on
/// failure records "fn: reason" as the last error.
mfrt_status ready(const char *fn);

/// Reports a failed kernel launch of `fn` (device build: cudaGetLastError);
/// always MFRT_OK in emulation.
mfrt_status launched(const char *fn);

/// Scratch device memory for the duration of one entry point (freed by the
/// destructor, back into the cache).
class Scratch {
public:
  Scratch() = default;
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
  ~Scratch() { mfrt_device_free(ptr_); }
  /// Allocates `bytes`; records "fn: ..." on failure.
  mfrt_status allocate(const char *fn, size_t bytes);
  void *get() const { return ptr_; }
  template <typename T> T *as() const { return static_cast<T *>(ptr_); }

private:
  void *ptr_ = nullptr;
};

} // namespace mfrt::gpu

#endif // MOEFOLD_RUNTIME_CUDA_CONTEXT_H
