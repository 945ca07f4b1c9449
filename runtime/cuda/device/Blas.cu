//===- Blas.cu - row-major GEMM through cuBLAS ---------------------------===//
//
// cuBLAS is column-major: a row-major C = op(A) op(B) is the column-major
// C^T = op(B)^T op(A)^T, i.e. the same buffers with the operands swapped.
//
//===----------------------------------------------------------------------===//

#include "../Blas.h"
#include "../Context.h"
#include "DeviceContext.h"

#include "Support.h"

#include <climits>

namespace mfrt::gpu {

mfrt_status gemm(const char *fn, mfrt_dtype dtype, bool transA, bool transB,
                 int64_t m, int64_t n, int64_t k, double alpha, const void *A,
                 int64_t lda, const void *B, int64_t ldb, double beta, void *C,
                 int64_t ldc) {
  if (m == 0 || n == 0)
    return MFRT_OK;
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX || lda > INT_MAX ||
      ldb > INT_MAX || ldc > INT_MAX)
    return setError(MFRT_ERROR_UNSUPPORTED,
                    "%s: GEMM extent beyond 32 bits (m=%lld n=%lld k=%lld)", fn,
                    (long long)m, (long long)n, (long long)k);
  if (mfrt_status st = ready(fn))
    return st;
  cublasOperation_t opA = transA ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasOperation_t opB = transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasStatus_t status;
  if (dtype == MFRT_F64) {
    double a = alpha, b = beta;
    status = cublasGemmEx(blasHandle(), opB, opA, int(n), int(m), int(k), &a, B,
                          CUDA_R_64F, int(ldb), A, CUDA_R_64F, int(lda), &b, C,
                          CUDA_R_64F, int(ldc), CUBLAS_COMPUTE_64F,
                          CUBLAS_GEMM_DEFAULT);
  } else {
    float a = float(alpha), b = float(beta);
    cudaDataType_t t = dtype == MFRT_BF16 ? CUDA_R_16BF : CUDA_R_32F;
    status = cublasGemmEx(blasHandle(), opB, opA, int(n), int(m), int(k), &a, B,
                          t, int(ldb), A, t, int(lda), &b, C, t, int(ldc),
                          CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  }
  if (status != CUBLAS_STATUS_SUCCESS)
    return blasFailure(fn, "cublasGemmEx", status);
  return MFRT_OK;
}

} // namespace mfrt::gpu
