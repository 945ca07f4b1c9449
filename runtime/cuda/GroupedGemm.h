//===- GroupedGemm.h - many independent row-major GEMMs in one call ------===//
//
// The expert GEMMs: one problem per group of rows, each with its own m (or
// k), the same transposes and scalars. cuBLAS cublasGemmGroupedBatchedEx on
// the device (device/GroupedGemm.cu; f64 falls back to one cublasGemmEx per
// problem), a loop of CBLAS GEMMs in emulation (emulation/GroupedGemm.cpp).
// Problems must not write overlapping C blocks.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_CUDA_GROUPEDGEMM_H
#define MOEFOLD_RUNTIME_CUDA_GROUPEDGEMM_H

#include "moefold_runtime/mfrt.h"

#include <cstdint>

namespace mfrt::gpu {

/// One problem: C[m,n] = alpha * op(A) op(B) + beta * C, row-major, the
/// operand shapes and leading dimensions as in Blas.h's gemm.
struct GemmProblem {
  int64_t m, n, k;
  const void *A;
  int64_t lda;
  const void *B;
  int64_t ldb;
  void *C;
  int64_t ldc;
};

/// Runs `count` problems (in any order, possibly concurrently). A problem
/// with m, n or k zero is skipped: its C is left untouched, so a caller
/// that needs beta = 0 semantics for k = 0 zeroes C itself. `fn` names the
/// caller in errors.
mfrt_status groupedGemm(const char *fn, mfrt_dtype dtype, bool transA,
                        bool transB, double alpha, double beta,
                        const GemmProblem *problems, int64_t count);

} // namespace mfrt::gpu

#endif // MOEFOLD_RUNTIME_CUDA_GROUPEDGEMM_H
