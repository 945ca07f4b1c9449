//===- GroupedGemm.cu - grouped GEMM through cublasGemmGroupedBatchedEx --===//
//
// Row-major problems become column-major ones with the operands swapped
// (as in Blas.cu). Each problem is its own cuBLAS group of size one (the
// sizes differ per expert); the scalars are per group, on the host; the
// pointer arrays go to the device in one copy. f64 is not a grouped-GEMM
// type in cuBLAS: it runs one cublasGemmEx per problem.
//
//===----------------------------------------------------------------------===//

#include "../Blas.h"
#include "../Context.h"
#include "../GroupedGemm.h"
#include "DeviceContext.h"

#include "Support.h"

#include <climits>
#include <vector>

namespace mfrt::gpu {

mfrt_status groupedGemm(const char *fn, mfrt_dtype dtype, bool transA,
                        bool transB, double alpha, double beta,
                        const GemmProblem *problems, int64_t count) {
  std::vector<const GemmProblem *> live;
  for (int64_t i = 0; i < count; ++i) {
    const GemmProblem &p = problems[i];
    if (p.m == 0 || p.n == 0 || p.k == 0)
      continue;
    if (p.m > INT_MAX || p.n > INT_MAX || p.k > INT_MAX || p.lda > INT_MAX ||
        p.ldb > INT_MAX || p.ldc > INT_MAX)
      return setError(MFRT_ERROR_UNSUPPORTED,
                      "%s: grouped GEMM extent beyond 32 bits (m=%lld n=%lld "
                      "k=%lld)",
                      fn, (long long)p.m, (long long)p.n, (long long)p.k);
    live.push_back(&p);
  }
  if (live.empty())
    return MFRT_OK;
  if (dtype == MFRT_F64) {
    for (const GemmProblem *p : live)
      if (mfrt_status st = gemm(fn, dtype, transA, transB, p->m, p->n, p->k,
                                alpha, p->A, p->lda, p->B, p->ldb, beta, p->C,
                                p->ldc))
        return st;
    return MFRT_OK;
  }
  if (mfrt_status st = ready(fn))
    return st;
  size_t g = live.size();
  // Column-major C^T[n,m] = op(B)^T[n,k] op(A)^T[k,m].
  std::vector<cublasOperation_t> opA(g, transB ? CUBLAS_OP_T : CUBLAS_OP_N),
      opB(g, transA ? CUBLAS_OP_T : CUBLAS_OP_N);
  std::vector<int> m(g), n(g), k(g), lda(g), ldb(g), ldc(g), sizes(g, 1);
  std::vector<float> alphas(g, float(alpha)), betas(g, float(beta));
  std::vector<const void *> ptrs(3 * g);
  for (size_t i = 0; i < g; ++i) {
    const GemmProblem &p = *live[i];
    m[i] = int(p.n);
    n[i] = int(p.m);
    k[i] = int(p.k);
    lda[i] = int(p.ldb);
    ldb[i] = int(p.lda);
    ldc[i] = int(p.ldc);
    ptrs[i] = p.B;
    ptrs[g + i] = p.A;
    ptrs[2 * g + i] = p.C;
  }
  Scratch devPtrs;
  if (mfrt_status st = devPtrs.allocate(fn, ptrs.size() * sizeof(void *)))
    return st;
  if (mfrt_status st = mfrt_device_copy_to_device(
          devPtrs.get(), ptrs.data(), ptrs.size() * sizeof(void *)))
    return st;
  const void *const *dev = devPtrs.as<const void *const>();
  cudaDataType_t t = dtype == MFRT_BF16 ? CUDA_R_16BF : CUDA_R_32F;
  cublasStatus_t status = cublasGemmGroupedBatchedEx(
      blasHandle(), opA.data(), opB.data(), m.data(), n.data(), k.data(),
      alphas.data(), dev, t, lda.data(), dev + g, t, ldb.data(), betas.data(),
      const_cast<void *const *>(dev + 2 * g),
      t, ldc.data(), int(g), sizes.data(), CUBLAS_COMPUTE_32F);
  if (status != CUBLAS_STATUS_SUCCESS)
    return blasFailure(fn, "cublasGemmGroupedBatchedEx", status);
  return MFRT_OK;
}

} // namespace mfrt::gpu
