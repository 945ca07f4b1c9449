/*===- mfrt.h - moefold runtime C ABI ------------------------------------===*
 *
 * The ABI the compiled per-rank programs call. Every entry point is a plain C
 * function prefixed mfrt_ so the lowering can emit llvm.call without name
 * mangling. Status codes are returned, never thrown across the boundary.
 *
 * Only the types and status codes exist so far; kernels and comm entry points
 * arrive with the execute and partition work.
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

#ifdef __cplusplus
}
#endif

#endif /* MOEFOLD_RUNTIME_MFRT_H */
