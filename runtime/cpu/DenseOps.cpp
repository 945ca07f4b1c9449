//===- DenseOps.cpp - embedding, rms_norm, linear, swiglu, add ------------===//
//
// CPU kernels of the dense ops. Reductions accumulate in double for both
// element types; GEMMs go through OpenBLAS.
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

//===--- embedding --------------------------------------------------------===//

namespace {
/// Checks every token is in [0, vocab); names the first offending position.
bool checkTokens(ArgChecker &args, const mfrt_tensor *tokens, int64_t vocab,
                 const char *name) {
  const int32_t *tok = ptr<int32_t>(tokens);
  int64_t n = numel(tokens);
  for (int64_t i = 0; i < n; ++i)
    if (tok[i] < 0 || tok[i] >= vocab)
      return args.fail("%s: value %d at flat position %lld is outside [0, "
                       "%lld)",
                       name, tok[i], static_cast<long long>(i),
                       static_cast<long long>(vocab));
  return true;
}
} // namespace

extern "C" mfrt_status mfrt_embedding_fwd(const mfrt_tensor *table,
                                          const mfrt_tensor *tokens,
                                          const mfrt_tensor *out) {
  ArgChecker a("mfrt_embedding_fwd");
  if (!a.floatTensor(table, "table") || !a.shape(table, "table", {-1, -1}) ||
      !a.indexTensor(tokens, "tokens") || !a.floatTensor(out, "out") ||
      !a.shape(out, "out", Dims::of(tokens).append(table->shape[1])) ||
      !checkTokens(a, tokens, table->shape[0], "tokens"))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t h = table->shape[1], n = numel(tokens);
    const int32_t *tok = ptr<int32_t>(tokens);
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(ptr<T>(out) + i * h, ptr<T>(table) + tok[i] * h,
                  sizeof(T) * h);
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_embedding_bwd(const mfrt_tensor *tokens,
                                          const mfrt_tensor *dout,
                                          const mfrt_tensor *dtable) {
  ArgChecker a("mfrt_embedding_bwd");
  if (!a.indexTensor(tokens, "tokens") || !a.floatTensor(dout, "dout") ||
      !a.floatTensor(dtable, "dtable") ||
      !a.shape(dtable, "dtable", {-1, -1}) ||
      !a.shape(dout, "dout", Dims::of(tokens).append(dtable->shape[1])) ||
      !checkTokens(a, tokens, dtable->shape[0], "tokens"))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t h = dtable->shape[1], n = numel(tokens);
    const int32_t *tok = ptr<int32_t>(tokens);
    zeroTensor(dtable);
    for (int64_t i = 0; i < n; ++i) {
      T *dst = ptr<T>(dtable) + tok[i] * h;
      const T *src = ptr<T>(dout) + i * h;
      for (int64_t j = 0; j < h; ++j)
        dst[j] += src[j];
    }
    return MFRT_OK;
  });
}

//===--- rms_norm ---------------------------------------------------------===//

namespace {
template <typename T> double invRms(const T *row, int64_t h, double eps) {
  double ss = 0;
  for (int64_t j = 0; j < h; ++j)
    ss += double(row[j]) * double(row[j]);
  return 1.0 / std::sqrt(ss / double(h) + eps);
}
} // namespace

extern "C" mfrt_status mfrt_rms_norm_fwd(const mfrt_tensor *x,
                                         const mfrt_tensor *w, double eps,
                                         const mfrt_tensor *out) {
  ArgChecker a("mfrt_rms_norm_fwd");
  if (!checkRmsNormFwd(a, x, w, eps, out))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t h = lastDim(x), n = rows(x);
    const T *wp = ptr<T>(w);
    for (int64_t i = 0; i < n; ++i) {
      const T *xr = ptr<T>(x) + i * h;
      T *o = ptr<T>(out) + i * h;
      double r = h ? invRms(xr, h, eps) : 0;
      for (int64_t j = 0; j < h; ++j)
        o[j] = T(double(xr[j]) * r * double(wp[j]));
    }
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_rms_norm_bwd(const mfrt_tensor *x,
                                         const mfrt_tensor *w, double eps,
                                         const mfrt_tensor *dout,
                                         const mfrt_tensor *dx,
                                         const mfrt_tensor *dw) {
  ArgChecker a("mfrt_rms_norm_bwd");
  if (!checkRmsNormBwd(a, x, w, eps, dout, dx, dw))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t h = lastDim(x), n = rows(x);
    const T *wp = ptr<T>(w);
    Buffer<double> dwAcc(h, /*zero=*/true);
    if (!dwAcc.ok())
      return outOfMemory(a.fn());
    for (int64_t i = 0; i < n; ++i) {
      const T *xr = ptr<T>(x) + i * h;
      const T *g = ptr<T>(dout) + i * h;
      double r = h ? invRms(xr, h, eps) : 0;
      // y_j = x_j r w_j; with gw_j = g_j w_j:
      // dx_j = r gw_j - r^3 x_j sum_k(gw_k x_k) / H.
      double dot = 0;
      for (int64_t j = 0; j < h; ++j) {
        dot += double(g[j]) * double(wp[j]) * double(xr[j]);
        dwAcc[j] += double(g[j]) * double(xr[j]) * r;
      }
      if (dx) {
        T *d = ptr<T>(dx) + i * h;
        double c = r * r * r * dot / double(h);
        for (int64_t j = 0; j < h; ++j)
          d[j] = T(r * double(g[j]) * double(wp[j]) - c * double(xr[j]));
      }
    }
    if (dw)
      for (int64_t j = 0; j < h; ++j)
        ptr<T>(dw)[j] = T(dwAcc[j]);
    return MFRT_OK;
  });
}

//===--- linear -----------------------------------------------------------===//

extern "C" mfrt_status mfrt_linear_fwd(const mfrt_tensor *x,
                                       const mfrt_tensor *w,
                                       const mfrt_tensor *out) {
  ArgChecker a("mfrt_linear_fwd");
  if (!checkLinearFwd(a, x, w, out))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t m = rows(x), k = w->shape[0], n = w->shape[1];
    gemm(false, false, m, n, k, T(1), ptr<T>(x), k, ptr<T>(w), n, T(0),
         ptr<T>(out), n);
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_linear_bwd(const mfrt_tensor *x,
                                       const mfrt_tensor *w,
                                       const mfrt_tensor *dout,
                                       const mfrt_tensor *dx,
                                       const mfrt_tensor *dw) {
  ArgChecker a("mfrt_linear_bwd");
  if (!checkLinearBwd(a, x, w, dout, dx, dw))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t m = rows(x), k = w->shape[0], n = w->shape[1];
    if (dx)
      gemm(false, true, m, k, n, T(1), ptr<T>(dout), n, ptr<T>(w), n, T(0),
           ptr<T>(dx), k);
    if (dw)
      gemm(true, false, k, n, m, T(1), ptr<T>(x), k, ptr<T>(dout), n, T(0),
           ptr<T>(dw), n);
    return MFRT_OK;
  });
}

//===--- swiglu -----------------------------------------------------------===//

extern "C" mfrt_status mfrt_swiglu_fwd(const mfrt_tensor *gate,
                                       const mfrt_tensor *up,
                                       const mfrt_tensor *out) {
  ArgChecker a("mfrt_swiglu_fwd");
  if (!checkSwigluFwd(a, gate, up, out))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t n = numel(gate);
    for (int64_t i = 0; i < n; ++i)
      ptr<T>(out)[i] = silu(ptr<T>(gate)[i]) * ptr<T>(up)[i];
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_swiglu_bwd(const mfrt_tensor *gate,
                                       const mfrt_tensor *up,
                                       const mfrt_tensor *dout,
                                       const mfrt_tensor *dgate,
                                       const mfrt_tensor *dup) {
  ArgChecker a("mfrt_swiglu_bwd");
  if (!checkSwigluBwd(a, gate, up, dout, dgate, dup))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t n = numel(gate);
    for (int64_t i = 0; i < n; ++i) {
      T g = ptr<T>(gate)[i], d = ptr<T>(dout)[i];
      if (dgate)
        ptr<T>(dgate)[i] = d * ptr<T>(up)[i] * siluGrad(g);
      if (dup)
        ptr<T>(dup)[i] = d * silu(g);
    }
    return MFRT_OK;
  });
}

//===--- add --------------------------------------------------------------===//

extern "C" mfrt_status mfrt_add_fwd(const mfrt_tensor *a_,
                                    const mfrt_tensor *b,
                                    const mfrt_tensor *out) {
  ArgChecker a("mfrt_add_fwd");
  if (!checkAddFwd(a, a_, b, out))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t n = numel(a_);
    for (int64_t i = 0; i < n; ++i)
      ptr<T>(out)[i] = ptr<T>(a_)[i] + ptr<T>(b)[i];
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_add_bwd(const mfrt_tensor *dout,
                                    const mfrt_tensor *da,
                                    const mfrt_tensor *db) {
  ArgChecker a("mfrt_add_bwd");
  if (!checkAddBwd(a, dout, da, db))
    return a.status();
  size_t bytes = static_cast<size_t>(numel(dout)) *
                 mfrt_dtype_size(dout->dtype);
  if (da && bytes)
    std::memcpy(da->data, dout->data, bytes);
  if (db && bytes)
    std::memcpy(db->data, dout->data, bytes);
  return MFRT_OK;
}
