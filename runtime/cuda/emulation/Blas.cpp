//===- Blas.cpp - row-major GEMM through CBLAS (host emulation) ----------===//

#include "../Blas.h"
#include "../kernels/Portable.h"

#include "Support.h"

#include <cblas.h>
#include <vector>

namespace mfrt::gpu {

mfrt_status gemm(const char *fn, mfrt_dtype dtype, bool transA, bool transB,
                 int64_t m, int64_t n, int64_t k, double alpha, const void *A,
                 int64_t lda, const void *B, int64_t ldb, double beta, void *C,
                 int64_t ldc) {
  if (m == 0 || n == 0)
    return MFRT_OK;
  CBLAS_TRANSPOSE ta = transA ? CblasTrans : CblasNoTrans;
  CBLAS_TRANSPOSE tb = transB ? CblasTrans : CblasNoTrans;
  if (dtype == MFRT_F64) {
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha,
                static_cast<const double *>(A), lda,
                static_cast<const double *>(B), ldb, beta,
                static_cast<double *>(C), ldc);
    return MFRT_OK;
  }
  if (dtype == MFRT_F32) {
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, float(alpha),
                static_cast<const float *>(A), lda,
                static_cast<const float *>(B), ldb, float(beta),
                static_cast<float *>(C), ldc);
    return MFRT_OK;
  }
  if (dtype != MFRT_BF16)
    return setError(MFRT_ERROR_INVALID_ARGUMENT, "%s: GEMM on %s", fn,
                    mfrt_dtype_name(dtype));
  // bf16: widen to f32, multiply with f32 accumulation, round the result.
  int64_t rowsA = transA ? k : m, rowsB = transB ? n : k;
  std::vector<float> a(size_t(rowsA * lda)), b(size_t(rowsB * ldb)),
      c(size_t(m * ldc));
  const bf16 *A16 = static_cast<const bf16 *>(A);
  const bf16 *B16 = static_cast<const bf16 *>(B);
  bf16 *C16 = static_cast<bf16 *>(C);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = bf16ToFloat(A16[i]);
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = bf16ToFloat(B16[i]);
  if (beta != 0)
    for (size_t i = 0; i < c.size(); ++i)
      c[i] = bf16ToFloat(C16[i]);
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, float(alpha), a.data(), lda,
              b.data(), ldb, float(beta), c.data(), ldc);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      C16[i * ldc + j] = floatToBf16(c[size_t(i * ldc + j)]);
  return MFRT_OK;
}

} // namespace mfrt::gpu
