//===- Dispatch.cpp - permute token copies into expert order -------------===//
//
// mfrt_cuda_dispatch_* with the CPU backend's contracts (cpu/Routing.cpp):
// the permutation is the device counting sort of MoeSupport.h; the row
// moves are element-per-thread over the hidden dimension (coalesced reads
// and writes of whole rows). docs/gpu-moe-kernels.md.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "PermuteKernels.h"

using namespace mfrt;
using namespace mfrt::gpu;
using namespace mfrt::gpu::moe;

static void copyCounts(const int32_t *counts, int64_t n, int32_t *out) {
  forEach(n, [=] MFRT_HD(int64_t e) { out[e] = counts[e]; });
}

namespace {

mfrt_status dispatchFwd(ArgChecker &a, const mfrt_tensor *x,
                        const mfrt_tensor *indices, const mfrt_tensor *scores,
                        int64_t numExperts, const mfrt_tensor *sorted,
                        const mfrt_tensor *groupSizes) {
  Permutation perm;
  if (mfrt_status st = perm.build(a.fn(), indices, numExperts))
    return st;
  copyCounts(perm.counts(), numExperts, ptr<int32_t>(groupSizes));
  int64_t k = lastDim(indices), h = lastDim(x), copies = numel(indices);
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    permuteKernel(ptr<const T>(x), scores ? ptr<const T>(scores) : nullptr,
                  perm.rows(), copies, k, h, ptr<T>(sorted));
    return launched(a.fn());
  });
}

} // namespace

extern "C" mfrt_status mfrt_cuda_dispatch_fwd(const mfrt_tensor *x,
                                              const mfrt_tensor *indices,
                                              int64_t num_experts,
                                              const mfrt_tensor *sorted,
                                              const mfrt_tensor *group_sizes) {
  ArgChecker a("mfrt_cuda_dispatch_fwd");
  a.allowBf16();
  if (!checkDispatchFwd(a, x, indices, false, nullptr, num_experts, sorted,
                        group_sizes, checkIndices))
    return a.status();
  return dispatchFwd(a, x, indices, nullptr, num_experts, sorted,
                     group_sizes);
}

extern "C" mfrt_status mfrt_cuda_dispatch_scaled_fwd(
    const mfrt_tensor *x, const mfrt_tensor *indices, const mfrt_tensor *scores,
    int64_t num_experts, const mfrt_tensor *sorted,
    const mfrt_tensor *group_sizes) {
  ArgChecker a("mfrt_cuda_dispatch_scaled_fwd");
  a.allowBf16();
  if (!checkDispatchFwd(a, x, indices, true, scores, num_experts, sorted,
                        group_sizes, checkIndices))
    return a.status();
  return dispatchFwd(a, x, indices, scores, num_experts, sorted, group_sizes);
}

extern "C" mfrt_status mfrt_cuda_dispatch_bwd(const mfrt_tensor *indices,
                                              int64_t num_experts,
                                              const mfrt_tensor *dsorted,
                                              const mfrt_tensor *dx) {
  ArgChecker a("mfrt_cuda_dispatch_bwd");
  a.allowBf16();
  if (!checkDispatchBwd(a, indices, num_experts, dsorted, dx, checkIndices))
    return a.status();
  if (!dx)
    return MFRT_OK;
  Permutation perm;
  if (mfrt_status st = perm.build(a.fn(), indices, num_experts))
    return st;
  int64_t k = lastDim(indices), h = dsorted->shape[1];
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    unpermuteKernel(ptr<const T>(dsorted), static_cast<const T *>(nullptr),
                    perm.rows(), rows(indices), k, h, ptr<T>(dx));
    return launched(a.fn());
  });
}

extern "C" mfrt_status mfrt_cuda_dispatch_scaled_bwd(
    const mfrt_tensor *x, const mfrt_tensor *indices, const mfrt_tensor *scores,
    int64_t num_experts, const mfrt_tensor *dsorted, const mfrt_tensor *dx,
    const mfrt_tensor *dscores) {
  ArgChecker a("mfrt_cuda_dispatch_scaled_bwd");
  a.allowBf16();
  if (!checkDispatchScaledBwd(a, x, indices, scores, num_experts, dsorted, dx,
                              dscores, checkIndices))
    return a.status();
  if (!dx && !dscores)
    return MFRT_OK;
  Permutation perm;
  if (mfrt_status st = perm.build(a.fn(), indices, num_experts))
    return st;
  int64_t k = lastDim(indices), h = lastDim(x);
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    if (dx)
      unpermuteKernel(ptr<const T>(dsorted), ptr<const T>(scores),
                      perm.rows(), rows(indices), k, h, ptr<T>(dx));
    if (dscores)
      rowDotKernel(ptr<const T>(dsorted), ptr<const T>(x), perm.rows(),
                   numel(indices), k, h, ptr<T>(dscores));
    return launched(a.fn());
  });
}

extern "C" mfrt_status mfrt_cuda_dispatch_rows(const mfrt_tensor *indices,
                                               int64_t num_experts,
                                               const mfrt_tensor *rows_out) {
  ArgChecker a("mfrt_cuda_dispatch_rows");
  if (!checkDispatchRows(a, indices, num_experts, rows_out, checkIndices))
    return a.status();
  Permutation perm;
  if (mfrt_status st = perm.build(a.fn(), indices, num_experts))
    return st;
  return mfrt_device_copy(rows_out->data, perm.rows(),
                          size_t(numel(indices)) * sizeof(int32_t));
}
