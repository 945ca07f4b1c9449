/*===- mfrt.h - moefold runtime C ABI ------------------------------------===*
 *
 * The ABI the compiled per-rank programs call. Every entry point is a plain C
 * function prefixed mfrt_ so the lowering can emit llvm.call without name
 * mangling. Status codes are returned, never thrown across the boundary.
 *
 * This header holds the core types (status, dtype, tensor descriptor) and the
 * last-error query. The entry points live in companion headers:
 *   mfrt_ops.h   forward and backward (VJP) kernels of every MoE op
 *   mfrt_rng.h   counter-based parameter initialisation
 *   mfrt_io.h    safetensors reader and writer
 *   mfrt_data.h  token data loader
 * See docs/runtime.md for conventions.
 *===----------------------------------------------------------------------===*/

#ifndef MOEFOLD_RUNTIME_MFRT_H
#define MOEFOLD_RUNTIME_MFRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result of every runtime call. */
typedef enum mfrt_status {
  MFRT_OK = 0,
  MFRT_ERROR_INVALID_ARGUMENT = 1,
  MFRT_ERROR_OUT_OF_MEMORY = 2,
  MFRT_ERROR_IO = 3,
  MFRT_ERROR_COMM = 4,
  MFRT_ERROR_UNSUPPORTED = 5,
  /* A file's content is malformed (corrupt safetensors header, token id out
   * of the vocabulary, ...); the message names the field and position. */
  MFRT_ERROR_FORMAT = 6,
} mfrt_status;

/* Element types of runtime tensors. */
typedef enum mfrt_dtype {
  MFRT_F32 = 0,
  MFRT_F64 = 1,
  MFRT_BF16 = 2,
  MFRT_I32 = 3,
  MFRT_I64 = 4,
} mfrt_dtype;

/* Compute backends; the comm backend is chosen independently. */
typedef enum mfrt_backend {
  MFRT_BACKEND_CPU = 0,
  MFRT_BACKEND_CUDA = 1,
} mfrt_backend;

/* Human-readable name of a status, for diagnostics. Never NULL. */
const char *mfrt_status_string(mfrt_status status);

/* Size in bytes of one element of `dtype`; 0 for a value outside the enum. */
size_t mfrt_dtype_size(mfrt_dtype dtype);

/* Name of a dtype ("f32", "f64", ...); "unknown" outside the enum. */
const char *mfrt_dtype_name(mfrt_dtype dtype);

/* Largest rank a tensor descriptor can describe. */
#define MFRT_MAX_RANK 8

/* A dense, contiguous, row-major tensor the caller owns. `shape[0..rank)` are
 * the extents; entries past `rank` are ignored. A rank-0 tensor is a scalar
 * (one element). `data` may be NULL only when the tensor has no elements. */
typedef struct mfrt_tensor {
  void *data;
  mfrt_dtype dtype;
  int32_t rank;
  int64_t shape[MFRT_MAX_RANK];
} mfrt_tensor;

/* Number of elements of `t` (product of its extents; 1 for rank 0). Returns
 * -1 if `t` is NULL or its rank or extents are invalid. */
int64_t mfrt_tensor_numel(const mfrt_tensor *t);

/* Reason of the last failing call on this thread, e.g.
 * "mfrt_linear_fwd: w: expected shape [4, 3], got [3, 4]". Empty string when
 * nothing failed since the last mfrt_clear_last_error(). Successful calls do
 * not reset it. The pointer stays valid until the next mfrt_* call on this
 * thread. Never NULL. */
const char *mfrt_last_error(void);

/* Resets the last error of this thread to the empty string. */
void mfrt_clear_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* MOEFOLD_RUNTIME_MFRT_H */
