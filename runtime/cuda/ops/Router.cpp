//===- Router.cpp - router logits, scoring and top-k on the device -------===//
//
// mfrt_cuda_router_fwd/bwd with the CPU backend's contracts
// (cpu/Routing.cpp): the logits GEMM through cuBLAS (Blas.h), then one
// thread per token for the scoring function and the top-k selection (k and E
// are small: k <= 8, E <= 256 in the models this targets). The selection is
// the CPU's: descending by probs + bias, ties to the lower expert id.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "../Blas.h"
#include "MoeSupport.h"

#include <cstring>

using namespace mfrt;
using namespace mfrt::gpu;
using namespace mfrt::gpu::moe;

/// probs (holding the logits) -> softmax or sigmoid in place, then the top-k
/// of probs + bias into indices / scores, renormalised when asked.
template <typename T>
static void scoreAndSelect(T *probs, const T *bias, int64_t tokens, int64_t e,
                           int64_t k, bool softmax, bool renormalize,
                           T *scores, int32_t *indices) {
  forEachRow(tokens, [=] MFRT_HD(int64_t i) {
    T *row = probs + i * e;
    if (softmax) {
      Acc<T> mx = load(row, 0);
      for (int64_t j = 1; j < e; ++j)
        mx = load(row, j) > mx ? load(row, j) : mx;
      double sum = 0;
      for (int64_t j = 0; j < e; ++j)
        sum += double(expAcc(load(row, j) - mx));
      for (int64_t j = 0; j < e; ++j)
        store(row, j, Acc<T>(double(expAcc(load(row, j) - mx)) / sum));
    } else {
      for (int64_t j = 0; j < e; ++j)
        store(row, j, sigmoid(load(row, j)));
    }
    // Slot s takes the best expert after slot s-1's in the strict order
    // (value descending, id ascending): the CPU's picks, without a "taken"
    // array per thread.
    int32_t *idx = indices + i * k;
    int64_t prev = -1;
    double prevVal = 0, total = 0;
    for (int64_t slot = 0; slot < k; ++slot) {
      int64_t best = -1;
      double bestVal = 0;
      for (int64_t j = 0; j < e; ++j) {
        double v = double(load(row, j)) + (bias ? double(load(bias, j)) : 0.0);
        bool after = prev < 0 || v < prevVal || (v == prevVal && j > prev);
        if (after && (best < 0 || v > bestVal)) {
          best = j;
          bestVal = v;
        }
      }
      if (best < 0) // only with NaN scores: keep the index in range
        best = 0;
      prev = best;
      prevVal = bestVal;
      idx[slot] = int32_t(best);
      Acc<T> p = load(row, best);
      store(scores, i * k + slot, p);
      total += double(p);
    }
    if (renormalize && total > 0)
      for (int64_t slot = 0; slot < k; ++slot)
        store(scores, i * k + slot,
              Acc<T>(double(load(row, idx[slot])) / total));
  });
}

/// dlogits[i] from dscores (through the optional renormalisation) plus
/// dprobs, through the scoring function; one thread per token.
template <typename T>
static void routerGrad(const T *probs, const int32_t *indices,
                       const T *dscores, const T *dprobs, int64_t tokens,
                       int64_t e, int64_t k, bool softmax, bool renormalize,
                       T *dlogits) {
  forEachRow(tokens, [=] MFRT_HD(int64_t i) {
    const T *pr = probs + i * e;
    const int32_t *idx = indices + i * k;
    const T *ds = dscores + i * k;
    // s_j = p_j / Z, Z = sum_sel p: dp_j = ds_j / Z - sum_k ds_k p_k / Z^2.
    double z = 0, dotz = 0;
    if (renormalize)
      for (int64_t s = 0; s < k; ++s) {
        z += double(load(pr, idx[s]));
        dotz += double(load(ds, s)) * double(load(pr, idx[s]));
      }
    // g_j: the gradient reaching probs[i, j], summed in the CPU's order and
    // precision (the storage's accumulation type).
    auto grad = [&](int64_t j) {
      Acc<T> g = dprobs ? load(dprobs, i * e + j) : Acc<T>(0);
      for (int64_t s = 0; s < k; ++s)
        if (idx[s] == j) {
          if (!renormalize)
            g += load(ds, s);
          else if (z > 0)
            g += Acc<T>(double(load(ds, s)) / z - dotz / (z * z));
        }
      return g;
    };
    T *out = dlogits + i * e;
    if (softmax) {
      double dot = 0;
      for (int64_t j = 0; j < e; ++j)
        dot += double(load(pr, j)) * double(grad(j));
      for (int64_t j = 0; j < e; ++j)
        store(out, j, Acc<T>(double(load(pr, j)) * (double(grad(j)) - dot)));
    } else {
      for (int64_t j = 0; j < e; ++j) {
        Acc<T> p = load(pr, j);
        store(out, j, grad(j) * p * (Acc<T>(1) - p));
      }
    }
  });
}

extern "C" mfrt_status
mfrt_cuda_router_fwd(const mfrt_tensor *x, const mfrt_tensor *w,
                     const mfrt_tensor *bias, mfrt_router_scoring scoring,
                     int64_t top_k, int32_t renormalize,
                     const mfrt_tensor *scores, const mfrt_tensor *indices,
                     const mfrt_tensor *probs) {
  ArgChecker a("mfrt_cuda_router_fwd");
  a.allowBf16();
  int score = rawScoring(scoring);
  if (!checkRouterFwd(a, x, w, bias, score, top_k, scores, indices, probs))
    return a.status();
  int64_t e = w->shape[1];
  if (mfrt_status st = ready(a.fn()))
    return st;
  int64_t t = rows(x), h = lastDim(x);
  if (mfrt_status st = gemm(a.fn(), a.floatType(), false, false, t, e, h, 1.0,
                            x->data, h, w->data, e, 0.0, probs->data, e))
    return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    scoreAndSelect(ptr<T>(probs), bias ? ptr<const T>(bias) : nullptr, t, e,
                   top_k, score == MFRT_SCORING_SOFTMAX, renormalize != 0,
                   ptr<T>(scores), ptr<int32_t>(indices));
    return launched(a.fn());
  });
}

extern "C" mfrt_status
mfrt_cuda_router_bwd(const mfrt_tensor *x, const mfrt_tensor *w,
                     mfrt_router_scoring scoring, int32_t renormalize,
                     const mfrt_tensor *probs, const mfrt_tensor *indices,
                     const mfrt_tensor *dscores, const mfrt_tensor *dprobs,
                     const mfrt_tensor *dx, const mfrt_tensor *dw) {
  ArgChecker a("mfrt_cuda_router_bwd");
  a.allowBf16();
  int score = rawScoring(scoring);
  if (!checkRouterBwd(a, x, w, score, probs, indices, dscores, dprobs, dx, dw,
                      checkIndices))
    return a.status();
  if (!dx && !dw)
    return MFRT_OK;
  if (mfrt_status st = ready(a.fn()))
    return st;
  int64_t t = rows(x), h = lastDim(x), k = lastDim(indices), e = w->shape[1];
  Scratch dl;
  if (mfrt_status st = dl.allocate(a.fn(), size_t(t * e) *
                                               mfrt_dtype_size(a.floatType())))
    return st;
  mfrt_status st = dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    routerGrad(ptr<const T>(probs), ptr<const int32_t>(indices),
               ptr<const T>(dscores), dprobs ? ptr<const T>(dprobs) : nullptr,
               t, e, k, score == MFRT_SCORING_SOFTMAX, renormalize != 0,
               dl.as<T>());
    return launched(a.fn());
  });
  if (st != MFRT_OK)
    return st;
  if (dx)
    if ((st = gemm(a.fn(), a.floatType(), false, true, t, h, e, 1.0, dl.get(),
                   e, w->data, e, 0.0, dx->data, h)))
      return st;
  if (dw)
    if ((st = gemm(a.fn(), a.floatType(), true, false, h, e, t, 1.0, x->data,
                   h, dl.get(), e, 0.0, dw->data, e)))
      return st;
  return MFRT_OK;
}
