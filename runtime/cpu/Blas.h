//===- Blas.h - typed row-major GEMM over OpenBLAS -------------*- C++ -*-===//

#ifndef MOEFOLD_RUNTIME_CPU_BLAS_H
#define MOEFOLD_RUNTIME_CPU_BLAS_H

#include <cstdint>

namespace mfrt::cpu {

/// C[M,N] = alpha * op(A) @ op(B) + beta * C, row-major, op = transpose when
/// the flag is set. Leading dimensions are the row strides of the stored
/// matrices. Degenerate sizes (M, N or K = 0) are handled without BLAS.
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
          float alpha, const float *a, int64_t lda, const float *b,
          int64_t ldb, float beta, float *c, int64_t ldc);
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
          double alpha, const double *a, int64_t lda, const double *b,
          int64_t ldb, double beta, double *c, int64_t ldc);

} // namespace mfrt::cpu

#endif // MOEFOLD_RUNTIME_CPU_BLAS_H
