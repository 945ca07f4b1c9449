//===- PermuteKernels.h - row moves between token and expert order -------===//
//
// The permute / unpermute / row-dot kernels dispatch and combine share:
// element-per-thread over the hidden dimension, so a warp reads and writes
// consecutive elements of one row (coalesced) whichever order the rows
// come in. rows[c] is the expert-sorted position of copy c = t*K + k.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_CUDA_OPS_PERMUTEKERNELS_H
#define MOEFOLD_RUNTIME_CUDA_OPS_PERMUTEKERNELS_H

#include "MoeSupport.h"

namespace mfrt::gpu::moe {

/// sorted[rows[c]] = (scores ? scores[c] : 1) * x[c / k], one element per
/// thread.
template <typename T>
inline void permuteKernel(const T *x, const T *scores, const int32_t *rows,
                          int64_t copies, int64_t k, int64_t h, T *sorted) {
  forEach(copies * h, [=] MFRT_HD(int64_t i) {
    int64_t c = i / h, j = i - c * h;
    Acc<T> v = load(x, (c / k) * h + j);
    if (scores)
      v = load(scores, c) * v;
    store(sorted, int64_t(rows[c]) * h + j, v);
  });
}

/// dx[t] = sum_k (scores ? scores[t,k] : 1) * dsorted[rows[t,k]], one
/// element per thread, k in order (the CPU's summation order).
template <typename T>
inline void unpermuteKernel(const T *dsorted, const T *scores,
                            const int32_t *rows, int64_t tokens, int64_t k,
                            int64_t h, T *dx) {
  forEach(tokens * h, [=] MFRT_HD(int64_t i) {
    int64_t t = i / h, j = i - t * h;
    Acc<T> sum = 0;
    for (int64_t s = 0; s < k; ++s) {
      Acc<T> v = load(dsorted, int64_t(rows[t * k + s]) * h + j);
      sum += scores ? load(scores, t * k + s) * v : v;
    }
    store(dx, i, sum);
  });
}

/// out[c] = <a[rows[c]], b[c / k]> accumulated in double (as the CPU).
template <typename T>
inline void rowDotKernel(const T *a, const T *b, const int32_t *rows,
                         int64_t copies, int64_t k, int64_t h, T *out) {
  forEachRow(copies, [=] MFRT_HD(int64_t c) {
    const int64_t ra = int64_t(rows[c]) * h, rb = (c / k) * h;
    double dot = 0;
    for (int64_t j = 0; j < h; ++j)
      dot += double(load(a, ra + j)) * double(load(b, rb + j));
    store(out, c, Acc<T>(dot));
  });
}

} // namespace mfrt::gpu::moe

#endif // MOEFOLD_RUNTIME_CUDA_OPS_PERMUTEKERNELS_H
