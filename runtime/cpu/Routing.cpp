//===- Routing.cpp - router, dispatch, combine ----------------------------===//
//
// The token-routing ops. Dispatch and combine share one permutation:
// row(t, k) is the position of copy (t, k) after a stable counting sort of
// all copies by expert id, so combine(dispatch(x)) visits the same rows.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_ops.h"

#include "../src/Support.h"
#include "Blas.h"
#include "Math.h"

#include <cmath>
#include <cstring>

using namespace mfrt;
using namespace mfrt::cpu;

namespace {

bool checkNumExperts(ArgChecker &a, int64_t e) {
  if (e <= 0 || e > INT32_MAX)
    return a.fail("num_experts: expected a positive count, got %lld",
                  static_cast<long long>(e));
  return true;
}

/// Every index in [0, numExperts); names the first offending position.
bool checkIndices(ArgChecker &a, const mfrt_tensor *indices,
                  int64_t numExperts) {
  const int32_t *idx = ptr<int32_t>(indices);
  int64_t n = numel(indices);
  for (int64_t i = 0; i < n; ++i)
    if (idx[i] < 0 || idx[i] >= numExperts)
      return a.fail("indices: value %d at flat position %lld is outside "
                    "[0, %lld)",
                    idx[i], static_cast<long long>(i),
                    static_cast<long long>(numExperts));
  return true;
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

/// The scoring argument as a plain int: C callers may pass any value, and
/// loading an out-of-range enum value is undefined in C++.
int rawScoring(const mfrt_router_scoring &scoring) {
  int raw;
  static_assert(sizeof(raw) == sizeof(scoring), "enum is int-sized");
  std::memcpy(&raw, &scoring, sizeof(raw));
  return raw;
}

bool checkRouterCommon(ArgChecker &a, const mfrt_tensor *x,
                       const mfrt_tensor *w, int scoring) {
  if (!a.floatTensor(x, "x") || !a.rankAtLeast(x, "x", 1) ||
      !a.floatTensor(w, "w") || !a.shape(w, "w", {lastDim(x), -1}))
    return false;
  if (w->shape[1] <= 0)
    return a.fail("w: expected at least one expert column");
  if (scoring != MFRT_SCORING_SOFTMAX && scoring != MFRT_SCORING_SIGMOID)
    return a.fail("scoring: unknown scoring function %d", scoring);
  return true;
}

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
  if (!checkRouterCommon(a, x, w, score))
    return a.status();
  int64_t e = w->shape[1];
  if (top_k < 1 || top_k > e) {
    a.fail("top_k: expected a value in [1, %lld], got %lld",
           static_cast<long long>(e), static_cast<long long>(top_k));
    return a.status();
  }
  if ((bias && (!a.floatTensor(bias, "bias") ||
                !a.shape(bias, "bias", {e}))) ||
      !a.floatTensor(scores, "scores") ||
      !a.shape(scores, "scores", Dims::of(x).withLast(top_k)) ||
      !a.indexTensor(indices, "indices") ||
      !a.shape(indices, "indices", Dims::of(x).withLast(top_k)) ||
      !a.floatTensor(probs, "probs") ||
      !a.shape(probs, "probs", Dims::of(x).withLast(e)))
    return a.status();
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
  if (!checkRouterCommon(a, x, w, score))
    return a.status();
  int64_t e = w->shape[1];
  if (!a.floatTensor(probs, "probs") ||
      !a.shape(probs, "probs", Dims::of(x).withLast(e)) ||
      !a.indexTensor(indices, "indices") ||
      !a.shape(indices, "indices", Dims::of(x).withLast(-1)) ||
      !checkIndices(a, indices, e) || !a.floatTensor(dscores, "dscores") ||
      !a.shape(dscores, "dscores", Dims::of(indices)) ||
      !a.optFloat(dprobs, "dprobs", Dims::of(probs)) ||
      !a.optFloat(dx, "dx", Dims::of(x)) || !a.optFloat(dw, "dw", Dims::of(w)))
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
  if (!a.floatTensor(x, "x") || !a.rankAtLeast(x, "x", 1) ||
      !a.indexTensor(indices, "indices") ||
      !a.shape(indices, "indices", Dims::of(x).withLast(-1)) ||
      !checkNumExperts(a, num_experts) ||
      !checkIndices(a, indices, num_experts) ||
      !a.floatTensor(sorted, "sorted") ||
      !a.shape(sorted, "sorted", {numel(indices), lastDim(x)}) ||
      !a.indexTensor(group_sizes, "group_sizes") ||
      !a.shape(group_sizes, "group_sizes", {num_experts}))
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
  if (!a.indexTensor(indices, "indices") ||
      !a.rankAtLeast(indices, "indices", 1) ||
      !checkNumExperts(a, num_experts) ||
      !checkIndices(a, indices, num_experts) ||
      !a.floatTensor(dsorted, "dsorted") ||
      !a.shape(dsorted, "dsorted", {numel(indices), -1}) ||
      !a.optFloat(dx, "dx", Dims::of(indices).withLast(dsorted->shape[1])))
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
  if (!a.floatTensor(x, "x") || !a.rankAtLeast(x, "x", 1) ||
      !a.indexTensor(indices, "indices") ||
      !a.shape(indices, "indices", Dims::of(x).withLast(-1)) ||
      !a.floatTensor(scores, "scores") ||
      !a.shape(scores, "scores", Dims::of(indices)) ||
      !checkNumExperts(a, num_experts) ||
      !checkIndices(a, indices, num_experts) ||
      !a.floatTensor(sorted, "sorted") ||
      !a.shape(sorted, "sorted", {numel(indices), lastDim(x)}) ||
      !a.indexTensor(group_sizes, "group_sizes") ||
      !a.shape(group_sizes, "group_sizes", {num_experts}))
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
  if (!a.floatTensor(x, "x") || !a.rankAtLeast(x, "x", 1) ||
      !a.indexTensor(indices, "indices") ||
      !a.shape(indices, "indices", Dims::of(x).withLast(-1)) ||
      !a.floatTensor(scores, "scores") ||
      !a.shape(scores, "scores", Dims::of(indices)) ||
      !checkNumExperts(a, num_experts) ||
      !checkIndices(a, indices, num_experts) ||
      !a.floatTensor(dsorted, "dsorted") ||
      !a.shape(dsorted, "dsorted", {numel(indices), lastDim(x)}) ||
      !a.optFloat(dx, "dx", Dims::of(x)) ||
      !a.optFloat(dscores, "dscores", Dims::of(scores)))
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
  if (!a.indexTensor(indices, "indices") || !checkNumExperts(a, num_experts) ||
      !checkIndices(a, indices, num_experts) ||
      !a.indexTensor(rows_out, "rows") ||
      !a.shape(rows_out, "rows", Dims::of(indices)))
    return a.status();
  Permutation perm(indices, num_experts);
  if (!perm.ok())
    return outOfMemory(a.fn());
  for (int64_t i = 0; i < numel(indices); ++i)
    ptr<int32_t>(rows_out)[i] = static_cast<int32_t>(perm.rows[i]);
  return MFRT_OK;
}

//===--- combine ----------------------------------------------------------===//

namespace {
bool checkCombine(ArgChecker &a, const mfrt_tensor *expertOut,
                  const mfrt_tensor *indices, const mfrt_tensor *scores,
                  int64_t numExperts) {
  return a.floatTensor(expertOut, "expert_out") &&
         a.indexTensor(indices, "indices") &&
         a.rankAtLeast(indices, "indices", 1) &&
         a.shape(expertOut, "expert_out", {numel(indices), -1}) &&
         (!scores || (a.floatTensor(scores, "scores") &&
                      a.shape(scores, "scores", Dims::of(indices)))) &&
         checkNumExperts(a, numExperts) &&
         checkIndices(a, indices, numExperts);
}
} // namespace

extern "C" mfrt_status mfrt_combine_fwd(const mfrt_tensor *expert_out,
                                        const mfrt_tensor *indices,
                                        const mfrt_tensor *scores,
                                        int64_t num_experts,
                                        const mfrt_tensor *out) {
  ArgChecker a("mfrt_combine_fwd");
  if (!checkCombine(a, expert_out, indices, scores, num_experts) ||
      !a.floatTensor(out, "out") ||
      !a.shape(out, "out",
               Dims::of(indices).withLast(expert_out->shape[1])))
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
  if (!checkCombine(a, expert_out, indices, scores, num_experts) ||
      !a.floatTensor(dout, "dout") ||
      !a.shape(dout, "dout",
               Dims::of(indices).withLast(expert_out->shape[1])) ||
      !a.optFloat(dexpert_out, "dexpert_out", Dims::of(expert_out)) ||
      (scores && !a.optFloat(dscores, "dscores", Dims::of(scores))))
    return a.status();
  if (!scores && dscores) {
    a.fail("dscores requested without scores (an unweighted combine)");
    return a.status();
  }
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
