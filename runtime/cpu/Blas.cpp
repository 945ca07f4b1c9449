//===- Blas.cpp - typed row-major GEMM over OpenBLAS ----------------------===//

#include "Blas.h"

#include <cblas.h>

namespace mfrt::cpu {
namespace {

template <typename T>
bool degenerate(int64_t m, int64_t n, int64_t k, T beta, T *c, int64_t ldc) {
  if (m > 0 && n > 0 && k > 0)
    return false;
  if (k == 0)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
  return true;
}

int64_t ld(int64_t v) { return v < 1 ? 1 : v; }

} // namespace

void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
          float alpha, const float *a, int64_t lda, const float *b,
          int64_t ldb, float beta, float *c, int64_t ldc) {
  if (degenerate(m, n, k, beta, c, ldc))
    return;
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, ld(lda),
              b, ld(ldb), beta, c, ld(ldc));
}

void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
          double alpha, const double *a, int64_t lda, const double *b,
          int64_t ldb, double beta, double *c, int64_t ldc) {
  if (degenerate(m, n, k, beta, c, ldc))
    return;
  cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, ld(lda),
              b, ld(ldb), beta, c, ld(ldc));
}

} // namespace mfrt::cpu
