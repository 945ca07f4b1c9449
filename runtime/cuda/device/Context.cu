//===- Context.cu - the process's CUDA device, stream, cuBLAS and memory -===//

#include "../CachingAllocator.h"
#include "../Context.h"
#include "DeviceContext.h"

#include "Support.h"

#include <string>

#include <cstdio>
#include <mutex>

using namespace mfrt;
using namespace mfrt::gpu;

namespace {

class CudaRawAllocator final : public RawAllocator {
public:
  void *allocate(size_t bytes) override {
    void *ptr = nullptr;
    if (cudaMalloc(&ptr, bytes) != cudaSuccess) {
      cudaGetLastError(); // clear the sticky-free error state
      return nullptr;
    }
    return ptr;
  }
  void release(void *ptr) override { cudaFree(ptr); }
};

struct DeviceState {
  std::mutex mutex;
  bool initialised = false;
  int device = -1;
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  char description[256] = "no CUDA device initialised";
};

DeviceState &state() {
  static DeviceState s;
  return s;
}

CachingAllocator &allocator() {
  static CudaRawAllocator raw;
  static CachingAllocator cache(raw);
  return cache;
}

mfrt_status initLocked(DeviceState &s, int64_t ordinal) {
  if (s.initialised)
    return MFRT_OK;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0)
    return setError(MFRT_ERROR_UNSUPPORTED,
                    "mfrt_device_init: no CUDA device (%s)",
                    err == cudaSuccess ? "none visible"
                                       : cudaGetErrorString(err));
  int device = int(ordinal % count);
  if ((err = cudaSetDevice(device)) != cudaSuccess)
    return cudaFailure("mfrt_device_init", "cudaSetDevice", err);
  if ((err = cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking)) !=
      cudaSuccess)
    return cudaFailure("mfrt_device_init", "cudaStreamCreate", err);
  cublasStatus_t bs = cublasCreate(&s.blas);
  if (bs != CUBLAS_STATUS_SUCCESS)
    return blasFailure("mfrt_device_init", "cublasCreate", bs);
  if ((bs = cublasSetStream(s.blas, s.stream)) != CUBLAS_STATUS_SUCCESS)
    return blasFailure("mfrt_device_init", "cublasSetStream", bs);
  cudaDeviceProp prop;
  if (cudaGetDeviceProperties(&prop, device) == cudaSuccess)
    std::snprintf(s.description, sizeof(s.description),
                  "%s (sm_%d%d, %.1f GiB)", prop.name, prop.major, prop.minor,
                  double(prop.totalGlobalMem) / (1024.0 * 1024 * 1024));
  s.device = device;
  s.initialised = true;
  return MFRT_OK;
}

} // namespace

namespace mfrt::gpu {

cudaStream_t computeStream() { return state().stream; }
cublasHandle_t blasHandle() { return state().blas; }

mfrt_status cudaFailure(const char *fn, const char *what, cudaError_t error) {
  return setError(error == cudaErrorNoDevice ? MFRT_ERROR_UNSUPPORTED
                                             : MFRT_ERROR_INVALID_ARGUMENT,
                  "%s: %s: %s", fn, what, cudaGetErrorString(error));
}

mfrt_status blasFailure(const char *fn, const char *what,
                        cublasStatus_t status) {
  return setError(MFRT_ERROR_INVALID_ARGUMENT, "%s: %s: %s", fn, what,
                  cublasGetStatusString(status));
}

mfrt_status ready(const char *fn) {
  DeviceState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  mfrt_status status = initLocked(s, 0);
  if (status != MFRT_OK) {
    // Copied first: setError formats into the buffer mfrt_last_error reads.
    std::string reason = mfrt_last_error();
    return setError(status, "%s: %s", fn, reason.c_str());
  }
  return MFRT_OK;
}

mfrt_status launched(const char *fn) {
  cudaError_t err = cudaGetLastError();
  return err == cudaSuccess ? MFRT_OK : cudaFailure(fn, "kernel launch", err);
}

} // namespace mfrt::gpu

extern "C" {

int mfrt_device_is_emulated(void) { return 0; }

mfrt_status mfrt_device_init(int64_t ordinal) {
  if (ordinal < 0)
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "mfrt_device_init: ordinal %lld is negative",
                    (long long)ordinal);
  DeviceState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return initLocked(s, ordinal);
}

const char *mfrt_device_description(void) { return state().description; }

mfrt_status mfrt_device_alloc(size_t bytes, void **out) {
  if (mfrt_status st = ready("mfrt_device_alloc"))
    return st;
  return allocator().allocate(bytes, out);
}

mfrt_status mfrt_device_free(void *ptr) { return allocator().release(ptr); }

mfrt_status mfrt_device_copy_to_device(void *dst, const void *src,
                                       size_t bytes) {
  if (mfrt_status st = ready("mfrt_device_copy_to_device"))
    return st;
  if (!bytes)
    return MFRT_OK;
  cudaError_t err = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice,
                                    computeStream());
  if (err == cudaSuccess)
    err = cudaStreamSynchronize(computeStream());
  return err == cudaSuccess
             ? MFRT_OK
             : cudaFailure("mfrt_device_copy_to_device", "cudaMemcpy", err);
}

mfrt_status mfrt_device_copy_to_host(void *dst, const void *src,
                                     size_t bytes) {
  if (mfrt_status st = ready("mfrt_device_copy_to_host"))
    return st;
  if (!bytes)
    return MFRT_OK;
  cudaError_t err = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost,
                                    computeStream());
  if (err == cudaSuccess)
    err = cudaStreamSynchronize(computeStream());
  return err == cudaSuccess
             ? MFRT_OK
             : cudaFailure("mfrt_device_copy_to_host", "cudaMemcpy", err);
}

mfrt_status mfrt_device_copy(void *dst, const void *src, size_t bytes) {
  if (mfrt_status st = ready("mfrt_device_copy"))
    return st;
  if (!bytes)
    return MFRT_OK;
  cudaError_t err = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice,
                                    computeStream());
  return err == cudaSuccess ? MFRT_OK
                            : cudaFailure("mfrt_device_copy", "cudaMemcpy", err);
}

mfrt_status mfrt_device_zero(void *dst, size_t bytes) {
  if (mfrt_status st = ready("mfrt_device_zero"))
    return st;
  if (!bytes)
    return MFRT_OK;
  cudaError_t err = cudaMemsetAsync(dst, 0, bytes, computeStream());
  return err == cudaSuccess ? MFRT_OK
                            : cudaFailure("mfrt_device_zero", "cudaMemset", err);
}

mfrt_status mfrt_device_synchronize(void) {
  if (mfrt_status st = ready("mfrt_device_synchronize"))
    return st;
  cudaError_t err = cudaStreamSynchronize(computeStream());
  return err == cudaSuccess
             ? MFRT_OK
             : cudaFailure("mfrt_device_synchronize", "a queued kernel", err);
}

mfrt_status mfrt_device_get_memory_stats(mfrt_device_memory_stats *out) {
  if (!out)
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "mfrt_device_get_memory_stats: out is NULL");
  *out = allocator().stats();
  return MFRT_OK;
}

mfrt_status mfrt_device_release_cache(void) {
  if (mfrt_status st = mfrt_device_synchronize())
    return st;
  allocator().releaseCache();
  return MFRT_OK;
}

} // extern "C"
