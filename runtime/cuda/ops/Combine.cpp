//===- Combine.cpp - weighted sum of expert outputs back in token order --===//
//
// mfrt_cuda_combine_fwd/bwd with the CPU backend's contracts
// (cpu/Routing.cpp): the forward is the unpermute of dispatch's backward
// (scores optional), the backward the permute of dispatch's forward, on the
// same device permutation.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "PermuteKernels.h"

using namespace mfrt;
using namespace mfrt::gpu;
using namespace mfrt::gpu::moe;

extern "C" mfrt_status mfrt_cuda_combine_fwd(const mfrt_tensor *expert_out,
                                             const mfrt_tensor *indices,
                                             const mfrt_tensor *scores,
                                             int64_t num_experts,
                                             const mfrt_tensor *out) {
  ArgChecker a("mfrt_cuda_combine_fwd");
  a.allowBf16();
  if (!checkCombineFwd(a, expert_out, indices, scores, num_experts, out,
                       checkIndices))
    return a.status();
  Permutation perm;
  if (mfrt_status st = perm.build(a.fn(), indices, num_experts))
    return st;
  int64_t k = lastDim(indices), h = expert_out->shape[1];
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    unpermuteKernel(ptr<const T>(expert_out),
                    scores ? ptr<const T>(scores) : nullptr, perm.rows(),
                    rows(indices), k, h, ptr<T>(out));
    return launched(a.fn());
  });
}

extern "C" mfrt_status
mfrt_cuda_combine_bwd(const mfrt_tensor *expert_out, const mfrt_tensor *indices,
                      const mfrt_tensor *scores, int64_t num_experts,
                      const mfrt_tensor *dout, const mfrt_tensor *dexpert_out,
                      const mfrt_tensor *dscores) {
  ArgChecker a("mfrt_cuda_combine_bwd");
  a.allowBf16();
  if (!checkCombineBwd(a, expert_out, indices, scores, num_experts, dout,
                       dexpert_out, dscores, checkIndices))
    return a.status();
  if (!dexpert_out && !dscores)
    return MFRT_OK;
  Permutation perm;
  if (mfrt_status st = perm.build(a.fn(), indices, num_experts))
    return st;
  int64_t k = lastDim(indices), h = expert_out->shape[1];
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    if (dexpert_out)
      permuteKernel(ptr<const T>(dout),
                    scores ? ptr<const T>(scores) : nullptr, perm.rows(),
                    numel(indices), k, h, ptr<T>(dexpert_out));
    if (dscores)
      rowDotKernel(ptr<const T>(expert_out), ptr<const T>(dout), perm.rows(),
                   numel(indices), k, h, ptr<T>(dscores));
    return launched(a.fn());
  });
}
