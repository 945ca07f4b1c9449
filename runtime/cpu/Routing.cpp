//===- Routing.cpp - router, dispatch, combine ----------------------------===//
//
// The token-routing ops. Dispatch and combine share one permutation:
// row(t, k) is the position of copy (t, k) after a stable counting sort of
// all copies by expert id, so combine(dispatch(x)) visits the same rows.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_ops.h"

#include "../src/OpChecks.h"
#include "Blas.h"
#include "Math.h"

#include <cmath>
#include <cstring>

using namespace mfrt;
using namespace mfrt::cpu;

namespace {

/// Every index in [0, numExperts); names the first offending position.
bool checkIndices(ArgChecker &a, const mfrt_tensor *indices,
                  int64_t numExperts) {
  return checkIndexRange(a, indices, "indices", numExperts);
}

/// rows[i] = position of flat copy i in expert-sorted order; counts[e] = rows
/// of expert e. Stable: copies of one expert keep their flat (t, k) order.
void computeRows(const int32_t *idx, int64_t n, int64_t numExperts,
                 int64_t *rows, int64_t *counts) {
  for (int64_t e = 0; e < numExperts; ++e)
    counts[e] = 0;
  for (int64_t i = 0; i < n; ++i)
    ++counts[idx[i]];
  // rows doubles as scratch for the running offsets via a second pass.
  int64_t offset = 0;
  for (int64_t e = 0; e < numExperts; ++e) {
    int64_t c = counts[e];
    counts[e] = offset; // temporarily: next free row of expert e
    offset += c;
  }
  for (int64_t i = 0; i < n; ++i)
    rows[i] = counts[idx[i]]++;
  // Restore counts from the final offsets.
  int64_t prev = 0;
  for (int64_t e = 0; e < numExperts; ++e) {
    int64_t end = counts[e];
    counts[e] = end - prev;
    prev = end;
  }
}

struct Permutation {
  Buffer<int64_t> rows;
  Buffer<int64_t> counts;
  Permutation(const mfrt_tensor *indices, int64_t numExperts)
      : rows(numel(indices)), counts(numExperts) {
    if (ok())
      computeRows(ptr<int32_t>(indices), numel(indices), numExperts,
                  rows.data(), counts.data());
  }
  bool ok() const { return rows.ok() && counts.ok(); }
};

//===--- router -----------------------------------------------------------===//

template <typename T>
void routerFwd(const mfrt_tensor *x, const mfrt_tensor *w,
               const mfrt_tensor *bias, bool softmax, int64_t k,
               bool renormalize, const mfrt_tensor *scores,
               const mfrt_tensor *indices, const mfrt_tensor *probs,
               bool *taken) {
  int64_t t = rows(x), h = lastDim(x), e = w->shape[1];
  T *p = ptr<T>(probs);
  gemm(false, false, t, e, h, T(1), ptr<T>(x), h, ptr<T>(w), e, T(0), p, e);
  for (int64_t i = 0; i < t; ++i) {
    T *row = p + i * e;
    if (softmax) {
      T mx = row[0];
      for (int64_t j = 1; j < e; ++j)
        mx = row[j] > mx ? row[j] : mx;
      double sum = 0;
      for (int64_t j = 0; j < e; ++j) {
        row[j] = std::exp(row[j] - mx);
        sum += row[j];
      }
      for (int64_t j = 0; j < e; ++j)
        row[j] = T(row[j] / sum);
    } else {
      for (int64_t j = 0; j < e; ++j)
        row[j] = sigmoid(row[j]);
    }
    // Top-k of probs + bias, descending, ties to the lower expert id.
    for (int64_t j = 0; j < e; ++j)
      taken[j] = false;
    int32_t *idx = ptr<int32_t>(indices) + i * k;
    T *sc = ptr<T>(scores) + i * k;
    double total = 0;
    for (int64_t slot = 0; slot < k; ++slot) {
      int64_t best = -1;
      double bestVal = 0;
      for (int64_t j = 0; j < e; ++j) {
        if (taken[j])
          continue;
        double v = double(row[j]) + (bias ? double(ptr<T>(bias)[j]) : 0.0);
        if (best < 0 || v > bestVal) {
          best = j;
          bestVal = v;
        }
      }
      taken[best] = true;
      idx[slot] = static_cast<int32_t>(best);
      sc[slot] = row[best];
      total += double(row[best]);
    }
    if (renormalize && total > 0)
      for (int64_t slot = 0; slot < k; ++slot)
        sc[slot] = T(double(sc[slot]) / total);
  }
}

template <typename T>
mfrt_status routerBwd(const mfrt_tensor *x, const mfrt_tensor *w,
                      bool softmax, bool renormalize,
                      const mfrt_tensor *probs, const mfrt_tensor *indices,
                      const mfrt_tensor *dscores, const mfrt_tensor *dprobs,
                      const mfrt_tensor *dx, const mfrt_tensor *dw,
                      const char *fn) {
  int64_t t = rows(x), h = lastDim(x), e = w->shape[1],
          k = lastDim(indices);
  Buffer<T> dl(t * e);
  if (!dl.ok())
    return outOfMemory(fn);
  const T *p = ptr<T>(probs);
  for (int64_t i = 0; i < t; ++i) {
    const T *pr = p + i * e;
    T *g = dl.data() + i * e;
    for (int64_t j = 0; j < e; ++j)
      g[j] = dprobs ? ptr<T>(dprobs)[i * e + j] : T(0);
    const int32_t *idx = ptr<int32_t>(indices) + i * k;
    const T *ds = ptr<T>(dscores) + i * k;
    if (renormalize) {
      // s_j = p_j / Z, Z = sum_sel p: dp_j = ds_j / Z - sum_k ds_k p_k / Z^2.
      double z = 0, dotp = 0;
      for (int64_t s = 0; s < k; ++s) {
        z += double(pr[idx[s]]);
        dotp += double(ds[s]) * double(pr[idx[s]]);
      }
      if (z > 0)
        for (int64_t s = 0; s < k; ++s)
          g[idx[s]] += T(double(ds[s]) / z - dotp / (z * z));
    } else {
      for (int64_t s = 0; s < k; ++s)
        g[idx[s]] += ds[s];
    }
    // Through the scoring function, in place: g becomes dlogits.
    if (softmax) {
      double dotp = 0;
      for (int64_t j = 0; j < e; ++j)
        dotp += double(pr[j]) * double(g[j]);
      for (int64_t j = 0; j < e; ++j)
        g[j] = T(double(pr[j]) * (double(g[j]) - dotp));
    } else {
      for (int64_t j = 0; j < e; ++j)
        g[j] = g[j] * pr[j] * (T(1) - pr[j]);
    }
  }
  if (dx)
    gemm(false, true, t, h, e, T(1), dl.data(), e, ptr<T>(w), e, T(0),
         ptr<T>(dx), h);
  if (dw)
    gemm(true, false, h, e, t, T(1), ptr<T>(x), h, dl.data(), e, T(0),
         ptr<T>(dw), e);
  return MFRT_OK;
}

} // namespace

extern "C" mfrt_status
mfrt_router_fwd(const mfrt_tensor *x, const mfrt_tensor *w,
                const mfrt_tensor *bias, mfrt_router_scoring scoring,
                int64_t top_k, int32_t renormalize, const mfrt_tensor *scores,
                const mfrt_tensor *indices, const mfrt_tensor *probs) {
  ArgChecker a("mfrt_router_fwd");
  int score = rawScoring(scoring);
  if (!checkRouterFwd(a, x, w, bias, score, top_k, scores, indices, probs))
    return a.status();
  int64_t e = w->shape[1];
  Buffer<bool> taken(e);
  if (!taken.ok())
    return outOfMemory(a.fn());
  return dispatchFloat(a.floatType(), [&](auto tag) {
    routerFwd<decltype(tag)>(x, w, bias, score == MFRT_SCORING_SOFTMAX, top_k,
                             renormalize != 0,
                             scores, indices, probs, taken.data());
    return MFRT_OK;
  });
}

extern "C" mfrt_status
mfrt_router_bwd(const mfrt_tensor *x, const mfrt_tensor *w,
                mfrt_router_scoring scoring, int32_t renormalize,
                const mfrt_tensor *probs, const mfrt_tensor *indices,
                const mfrt_tensor *dscores, const mfrt_tensor *dprobs,
                const mfrt_tensor *dx, const mfrt_tensor *dw) {
  ArgChecker a("mfrt_router_bwd");
  int score = rawScoring(scoring);
  if (!checkRouterBwd(a, x, w, score, probs, indices, dscores, dprobs, dx, dw,
                      checkIndices))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    return routerBwd<decltype(tag)>(x, w, score == MFRT_SCORING_SOFTMAX,
                                    renormalize != 0, probs,
                                    indices, dscores, dprobs, dx, dw, a.fn());
  });
}

//===--- dispatch ---------------------------------------------------------===//

extern "C" mfrt_status mfrt_dispatch_fwd(const mfrt_tensor *x,
                                         const mfrt_tensor *indices,
                                         int64_t num_experts,
                                         const mfrt_tensor *sorted,
                                         const mfrt_tensor *group_sizes) {
  ArgChecker a("mfrt_dispatch_fwd");
  if (!checkDispatchFwd(a, x, indices, false, nullptr, num_experts, sorted,
                        group_sizes, checkIndices))
    return a.status();
  Permutation perm(indices, num_experts);
  if (!perm.ok())
    return outOfMemory(a.fn());
  int64_t k = lastDim(indices), h = lastDim(x);
  size_t rowBytes = static_cast<size_t>(h) * mfrt_dtype_size(x->dtype);
  const char *src = static_cast<const char *>(x->data);
  char *dst = static_cast<char *>(sorted->data);
  for (int64_t i = 0; i < numel(indices); ++i)
    if (rowBytes)
      std::memcpy(dst + perm.rows[i] * rowBytes, src + (i / k) * rowBytes,
                  rowBytes);
  for (int64_t e = 0; e < num_experts; ++e)
    ptr<int32_t>(group_sizes)[e] = static_cast<int32_t>(perm.counts[e]);
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_dispatch_bwd(const mfrt_tensor *indices,
                                         int64_t num_experts,
                                         const mfrt_tensor *dsorted,
                                         const mfrt_tensor *dx) {
  ArgChecker a("mfrt_dispatch_bwd");
  if (!checkDispatchBwd(a, indices, num_experts, dsorted, dx, checkIndices))
    return a.status();
  if (!dx)
    return MFRT_OK;
  Permutation perm(indices, num_experts);
  if (!perm.ok())
    return outOfMemory(a.fn());
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t k = lastDim(indices), h = dsorted->shape[1];
    zeroTensor(dx);
    for (int64_t i = 0; i < numel(indices); ++i) {
      T *d = ptr<T>(dx) + (i / k) * h;
      const T *s = ptr<T>(dsorted) + perm.rows[i] * h;
      for (int64_t j = 0; j < h; ++j)
        d[j] += s[j];
    }
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_dispatch_scaled_fwd(
    const mfrt_tensor *x, const mfrt_tensor *indices, const mfrt_tensor *scores,
    int64_t num_experts, const mfrt_tensor *sorted,
    const mfrt_tensor *group_sizes) {
  ArgChecker a("mfrt_dispatch_scaled_fwd");
  if (!checkDispatchFwd(a, x, indices, true, scores, num_experts, sorted,
                        group_sizes, checkIndices))
    return a.status();
  Permutation perm(indices, num_experts);
  if (!perm.ok())
    return outOfMemory(a.fn());
  for (int64_t e = 0; e < num_experts; ++e)
    ptr<int32_t>(group_sizes)[e] = static_cast<int32_t>(perm.counts[e]);
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t k = lastDim(indices), h = lastDim(x);
    for (int64_t i = 0; i < numel(indices); ++i) {
      const T *src = ptr<T>(x) + (i / k) * h;
      T *dst = ptr<T>(sorted) + perm.rows[i] * h;
      T s = ptr<T>(scores)[i];
      for (int64_t j = 0; j < h; ++j)
        dst[j] = s * src[j];
    }
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_dispatch_scaled_bwd(
    const mfrt_tensor *x, const mfrt_tensor *indices, const mfrt_tensor *scores,
    int64_t num_experts, const mfrt_tensor *dsorted, const mfrt_tensor *dx,
    const mfrt_tensor *dscores) {
  ArgChecker a("mfrt_dispatch_scaled_bwd");
  if (!checkDispatchScaledBwd(a, x, indices, scores, num_experts, dsorted, dx,
                              dscores, checkIndices))
    return a.status();
  Permutation perm(indices, num_experts);
  if (!perm.ok())
    return outOfMemory(a.fn());
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t k = lastDim(indices), h = lastDim(x);
    if (dx)
      zeroTensor(dx);
    for (int64_t i = 0; i < numel(indices); ++i) {
      const T *g = ptr<T>(dsorted) + perm.rows[i] * h;
      if (dx) {
        T s = ptr<T>(scores)[i];
        T *d = ptr<T>(dx) + (i / k) * h;
        for (int64_t j = 0; j < h; ++j)
          d[j] += s * g[j];
      }
      if (dscores) {
        const T *src = ptr<T>(x) + (i / k) * h;
        double dot = 0;
        for (int64_t j = 0; j < h; ++j)
          dot += double(g[j]) * double(src[j]);
        ptr<T>(dscores)[i] = T(dot);
      }
    }
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_dispatch_rows(const mfrt_tensor *indices,
                                          int64_t num_experts,
                                          const mfrt_tensor *rows_out) {
  ArgChecker a("mfrt_dispatch_rows");
  if (!checkDispatchRows(a, indices, num_experts, rows_out, checkIndices))
    return a.status();
  Permutation perm(indices, num_experts);
  if (!perm.ok())
    return outOfMemory(a.fn());
  for (int64_t i = 0; i < numel(indices); ++i)
    ptr<int32_t>(rows_out)[i] = static_cast<int32_t>(perm.rows[i]);
  return MFRT_OK;
}

//===--- combine ----------------------------------------------------------===//

extern "C" mfrt_status mfrt_combine_fwd(const mfrt_tensor *expert_out,
                                        const mfrt_tensor *indices,
                                        const mfrt_tensor *scores,
                                        int64_t num_experts,
                                        const mfrt_tensor *out) {
  ArgChecker a("mfrt_combine_fwd");
  if (!checkCombineFwd(a, expert_out, indices, scores, num_experts, out,
                       checkIndices))
    return a.status();
  Permutation perm(indices, num_experts);
  if (!perm.ok())
    return outOfMemory(a.fn());
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t k = lastDim(indices), h = expert_out->shape[1];
    zeroTensor(out);
    for (int64_t i = 0; i < numel(indices); ++i) {
      T *o = ptr<T>(out) + (i / k) * h;
      const T *src = ptr<T>(expert_out) + perm.rows[i] * h;
      T s = scores ? ptr<T>(scores)[i] : T(1);
      for (int64_t j = 0; j < h; ++j)
        o[j] += s * src[j];
    }
    return MFRT_OK;
  });
}

extern "C" mfrt_status
mfrt_combine_bwd(const mfrt_tensor *expert_out, const mfrt_tensor *indices,
                 const mfrt_tensor *scores, int64_t num_experts,
                 const mfrt_tensor *dout, const mfrt_tensor *dexpert_out,
                 const mfrt_tensor *dscores) {
  ArgChecker a("mfrt_combine_bwd");
  if (!checkCombineBwd(a, expert_out, indices, scores, num_experts, dout,
                       dexpert_out, dscores, checkIndices))
    return a.status();
  Permutation perm(indices, num_experts);
  if (!perm.ok())
    return outOfMemory(a.fn());
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t k = lastDim(indices), h = expert_out->shape[1];
    for (int64_t i = 0; i < numel(indices); ++i) {
      const T *g = ptr<T>(dout) + (i / k) * h;
      int64_t r = perm.rows[i];
      if (dexpert_out) {
        T s = scores ? ptr<T>(scores)[i] : T(1);
        T *d = ptr<T>(dexpert_out) + r * h;
        for (int64_t j = 0; j < h; ++j)
          d[j] = s * g[j];
      }
      if (dscores) {
        const T *src = ptr<T>(expert_out) + r * h;
        double dot = 0;
        for (int64_t j = 0; j < h; ++j)
          dot += double(g[j]) * double(src[j]);
        ptr<T>(dscores)[i] = T(dot);
      }
    }
    return MFRT_OK;
  });
}
