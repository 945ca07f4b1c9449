//===- Blas.h - row-major GEMM on device memory --------------------------===//
//
// cuBLAS (device/Blas.cu) or CBLAS (emulation/Blas.cpp) behind one call.
// Storage f32, f64 or bf16; accumulation f32 for f32/bf16 (cuBLAS compute
// type CUBLAS_COMPUTE_32F without TF32, so fp32 results match the CPU
// backend), f64 for f64.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_CUDA_BLAS_H
#define MOEFOLD_RUNTIME_CUDA_BLAS_H

#include "moefold_runtime/mfrt.h"

#include <cstdint>

namespace mfrt::gpu {

/// C[m,n] = alpha * op(A) * op(B) + beta * C, all row-major: A is [m,k]
/// ([k,m] when transA), B is [k,n] ([n,k] when transB), leading dimensions
/// are row strides in elements. `fn` names the caller in errors.
mfrt_status gemm(const char *fn, mfrt_dtype dtype, bool transA, bool transB,
                 int64_t m, int64_t n, int64_t k, double alpha, const void *A,
                 int64_t lda, const void *B, int64_t ldb, double beta, void *C,
                 int64_t ldc);

} // namespace mfrt::gpu

#endif
