//===- RmsNorm.cpp - moe.rms_norm forward and backward on the device -----===//
//
// Per-row statistics (1/rms, and for the backward the row's dot product)
// run one thread per row into an accumulation-type scratch; the elementwise
// parts run one thread per element (coalesced over H); the weight gradient
// is a column reduction, one thread per column looping over the rows (each
// step coalesced across the threads).
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "DenseSupport.h"

#include <cmath>

using namespace mfrt;
using namespace mfrt::gpu;
using namespace mfrt::gpu::dense;

namespace {

/// inv[r] = 1 / sqrt(mean(x[r]^2) + eps) (0 for an empty row).
template <typename T>
void invRms(const T *x, Acc<T> *inv, int64_t n, int64_t h, double eps) {
  using A = Acc<T>;
  forEachRow(n, [=] MFRT_HD(int64_t r) {
    A ss = 0;
    for (int64_t j = 0; j < h; ++j) {
      A v = load(x, r * h + j);
      ss += v * v;
    }
    inv[r] = h ? A(1) / sqrtAcc(ss / A(h) + A(eps)) : A(0);
  });
}

template <typename T>
void rmsNormFwd(const T *x, const T *w, T *out, Acc<T> *inv, int64_t n,
                int64_t h, double eps) {
  invRms(x, inv, n, h, eps);
  forEach(n * h, [=] MFRT_HD(int64_t i) {
    int64_t r = i / h, j = i - r * h;
    store(out, i, load(x, i) * inv[r] * load(w, j));
  });
}

/// dx_j = r gw_j - r^3 x_j sum_k(gw_k x_k) / H with gw = g w;
/// dw_j = sum_rows g_j x_j r.
template <typename T>
void rmsNormBwd(const T *x, const T *w, const T *g, T *dx, T *dw,
                Acc<T> *inv, Acc<T> *coef, int64_t n, int64_t h,
                double eps) {
  using A = Acc<T>;
  invRms(x, inv, n, h, eps);
  if (dx) {
    forEachRow(n, [=] MFRT_HD(int64_t r) {
      A dot = 0;
      for (int64_t j = 0; j < h; ++j)
        dot += load(g, r * h + j) * load(w, j) * load(x, r * h + j);
      A ir = inv[r];
      coef[r] = h ? ir * ir * ir * dot / A(h) : A(0);
    });
    forEach(n * h, [=] MFRT_HD(int64_t i) {
      int64_t r = i / h, j = i - r * h;
      store(dx, i, inv[r] * load(g, i) * load(w, j) - coef[r] * load(x, i));
    });
  }
  if (dw)
    forEach(h, [=] MFRT_HD(int64_t j) {
      A s = 0;
      for (int64_t r = 0; r < n; ++r)
        s += load(g, r * h + j) * load(x, r * h + j) * inv[r];
      store(dw, j, s);
    });
}

template <typename T> T *optPtr(const mfrt_tensor *t) {
  return t ? ptr<T>(t) : nullptr;
}

} // namespace

extern "C" mfrt_status mfrt_cuda_rms_norm_fwd(const mfrt_tensor *x,
                                              const mfrt_tensor *w, double eps,
                                              const mfrt_tensor *out) {
  ArgChecker a("mfrt_cuda_rms_norm_fwd");
  a.allowBf16();
  if (!checkRmsNormFwd(a, x, w, eps, out))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t n = rows(x), h = lastDim(x);
    Scratch inv;
    if (mfrt_status st = inv.allocate(a.fn(), sizeof(Acc<T>) * size_t(n)))
      return st;
    rmsNormFwd(ptr<const T>(x), ptr<const T>(w), ptr<T>(out),
               inv.as<Acc<T>>(), n, h, eps);
    return launched(a.fn());
  });
}

extern "C" mfrt_status mfrt_cuda_rms_norm_bwd(const mfrt_tensor *x,
                                              const mfrt_tensor *w, double eps,
                                              const mfrt_tensor *dout,
                                              const mfrt_tensor *dx,
                                              const mfrt_tensor *dw) {
  ArgChecker a("mfrt_cuda_rms_norm_bwd");
  a.allowBf16();
  if (!checkRmsNormBwd(a, x, w, eps, dout, dx, dw))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t n = rows(x), h = lastDim(x);
    Scratch inv, coef;
    if (mfrt_status st = inv.allocate(a.fn(), sizeof(Acc<T>) * size_t(n)))
      return st;
    if (mfrt_status st = coef.allocate(a.fn(), sizeof(Acc<T>) * size_t(n)))
      return st;
    rmsNormBwd(ptr<const T>(x), ptr<const T>(w), ptr<const T>(dout),
               optPtr<T>(dx), optPtr<T>(dw), inv.as<Acc<T>>(),
               coef.as<Acc<T>>(), n, h, eps);
    return launched(a.fn());
  });
}
