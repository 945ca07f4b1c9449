//===- GroupedGemm.cpp - grouped GEMM as a loop of CBLAS GEMMs -----------===//

#include "../GroupedGemm.h"
#include "../Blas.h"

namespace mfrt::gpu {

mfrt_status groupedGemm(const char *fn, mfrt_dtype dtype, bool transA,
                        bool transB, double alpha, double beta,
                        const GemmProblem *problems, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    const GemmProblem &p = problems[i];
    if (p.m == 0 || p.n == 0 || p.k == 0)
      continue;
    if (mfrt_status st = gemm(fn, dtype, transA, transB, p.m, p.n, p.k, alpha,
                              p.A, p.lda, p.B, p.ldb, beta, p.C, p.ldc))
      return st;
  }
  return MFRT_OK;
}

} // namespace mfrt::gpu
