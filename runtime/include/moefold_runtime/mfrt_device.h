/*===- mfrt_device.h - device memory of the cuda compute backend ---------===*
 *
 * The cuda compute backend (docs/gpu.md) keeps every tensor of the compiled
 * program in device memory. This header is what the driver, the mlir_abi
 * shims and the comm backends need of that memory: allocation through a
 * caching allocator, copies in each direction, and the point where the host
 * waits for the device.
 *
 * Two libraries implement it:
 *  - moefold_runtime_cuda: a CUDA device (cudaMalloc, one compute stream per
 *    process, cuBLAS), built with nvcc;
 *  - moefold_runtime_cuda_emulated: the same kernel sources compiled for the
 *    host (device memory is host memory from a distinct allocation, a kernel
 *    launch is a loop, cuBLAS calls become CBLAS calls). It exists so that the
 *    compiler's cuda mode, the driver's device buffers and every kernel's
 *    arithmetic are tested on machines without a GPU; it is never a
 *    performance path.
 *
 * Pointers called "device" below are only valid as kernel arguments and for
 * these functions; the host never dereferences them.
 *===----------------------------------------------------------------------===*/

#ifndef MOEFOLD_RUNTIME_MFRT_DEVICE_H
#define MOEFOLD_RUNTIME_MFRT_DEVICE_H

#include "moefold_runtime/mfrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 in moefold_runtime_cuda_emulated, 0 in moefold_runtime_cuda. */
int mfrt_device_is_emulated(void);

/* Selects the device of this process (device `ordinal` modulo the number of
 * visible devices, so several ranks may share one GPU) and creates its
 * compute stream and BLAS handle. Idempotent. Fails with
 * MFRT_ERROR_UNSUPPORTED and a message when no device is present. */
mfrt_status mfrt_device_init(int64_t ordinal);

/* "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB)" or "host emulation". Never NULL. */
const char *mfrt_device_description(void);

/* Device memory from the caching allocator: `bytes` rounded up, aligned to
 * 256 bytes; *out = NULL for bytes == 0. On exhaustion the cache is released
 * and the allocation retried once before MFRT_ERROR_OUT_OF_MEMORY (the
 * message gives the request, the bytes in use and cached). */
mfrt_status mfrt_device_alloc(size_t bytes, void **out);
/* Returns memory to the cache (stream-ordered: a later allocation may reuse
 * it for work queued after this call). NULL is a no-op; a pointer this
 * allocator did not hand out is an error. */
mfrt_status mfrt_device_free(void *ptr);

/* Copies of `bytes` bytes. to_device and to_host wait until the copy is done
 * (and, for to_host, until every earlier kernel has finished); copy is
 * device-to-device, queued on the compute stream. */
mfrt_status mfrt_device_copy_to_device(void *dst, const void *src,
                                       size_t bytes);
mfrt_status mfrt_device_copy_to_host(void *dst, const void *src, size_t bytes);
mfrt_status mfrt_device_copy(void *dst, const void *src, size_t bytes);
/* Sets `bytes` bytes to zero (queued on the compute stream). */
mfrt_status mfrt_device_zero(void *dst, size_t bytes);

/* Sets every element of a float tensor in device memory to `value` (the
 * cuda counterpart of mfrt_init_constant, for moe.fill). */
mfrt_status mfrt_cuda_fill(const mfrt_tensor *out, double value);

/* Waits for all queued work; reports an asynchronous kernel error. */
mfrt_status mfrt_device_synchronize(void);

/* Caching allocator figures since mfrt_device_init. */
typedef struct mfrt_device_memory_stats {
  size_t bytes_in_use;   /* handed out and not yet freed */
  size_t bytes_cached;   /* freed, kept for reuse */
  size_t peak_in_use;    /* maximum of bytes_in_use */
  int64_t raw_allocs;    /* calls of the underlying allocator */
  int64_t raw_frees;     /* memory returned to the underlying allocator */
  int64_t cache_hits;    /* allocations served from the cache */
} mfrt_device_memory_stats;
mfrt_status mfrt_device_get_memory_stats(mfrt_device_memory_stats *out);

/* Returns every cached block to the underlying allocator. */
mfrt_status mfrt_device_release_cache(void);

#ifdef __cplusplus
}
#endif

#endif /* MOEFOLD_RUNTIME_MFRT_DEVICE_H */
