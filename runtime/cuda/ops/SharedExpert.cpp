//===- SharedExpert.cpp - the shared expert forward and backward on the device
//
// The SwiGLU MLP as five cuBLAS GEMMs plus elementwise kernels (one thread
// per element); hidden activations are recomputed in the backward, as on
// the CPU, and kept in the storage type (bf16 intermediates for bf16, as a
// bf16 PyTorch MLP does). The optional sigmoid gate: one thread per row for
// the x . gate dot product and <dout, y>, one thread per column for dgate.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "../Blas.h"
#include "DenseSupport.h"

using namespace mfrt;
using namespace mfrt::gpu;
using namespace mfrt::gpu::dense;

namespace {

/// Scratch buffers of one call, in the storage type unless noted.
struct Buffers {
  Scratch g, u, act, dact, y, dy, rowAcc;
  mfrt_status allocate(const char *fn, size_t elem, size_t accElem, int64_t n,
                       int64_t h, int64_t f, bool gated, bool backward) {
    size_t nf = elem * size_t(n * f), nh = elem * size_t(n * h);
    mfrt_status st;
    if ((st = g.allocate(fn, nf)) || (st = u.allocate(fn, nf)) ||
        (st = act.allocate(fn, nf)))
      return st;
    if (backward && (st = dact.allocate(fn, nf)))
      return st;
    if (gated && ((st = rowAcc.allocate(fn, accElem * size_t(n))) ||
                  (st = y.allocate(fn, nh)) || (st = dy.allocate(fn, nh))))
      return st;
    return MFRT_OK;
  }
};

template <typename T>
void swigluAct(const T *g, const T *u, T *act, int64_t n) {
  forEach(n, [=] MFRT_HD(int64_t i) {
    store(act, i, siluAcc(load(g, i)) * load(u, i));
  });
}

/// In place: g <- dact * u * silu'(g), u <- dact * silu(g).
template <typename T> void swigluGrad(const T *dact, T *g, T *u, int64_t n) {
  forEach(n, [=] MFRT_HD(int64_t i) {
    Acc<T> gv = load(g, i), uv = load(u, i), d = load(dact, i);
    store(g, i, d * uv * siluGradAcc(gv));
    store(u, i, d * siluAcc(gv));
  });
}

/// sg[r] = sigmoid(x[r] . gate).
template <typename T>
void gateSigmoid(const T *x, const T *gate, Acc<T> *sg, int64_t n, int64_t h) {
  forEachRow(n, [=] MFRT_HD(int64_t r) {
    Acc<T> z = 0;
    for (int64_t j = 0; j < h; ++j)
      z += load(x, r * h + j) * load(gate, j);
    sg[r] = sigmoidAcc(z);
  });
}

template <typename T>
void scaleRows(const T *in, const Acc<T> *s, T *out, int64_t n, int64_t h) {
  forEach(n * h, [=] MFRT_HD(int64_t i) {
    store(out, i, load(in, i) * s[i / h]);
  });
}

/// sgz[r] <- dz[r] = <dout[r], y[r]> sg (1 - sg), from sgz[r] = sg.
template <typename T>
void gateGrad(const T *dout, const T *y, Acc<T> *sgz, int64_t n, int64_t h) {
  forEachRow(n, [=] MFRT_HD(int64_t r) {
    Acc<T> dot = 0;
    for (int64_t j = 0; j < h; ++j)
      dot += load(dout, r * h + j) * load(y, r * h + j);
    Acc<T> sg = sgz[r];
    sgz[r] = dot * sg * (Acc<T>(1) - sg);
  });
}

/// dx[r, j] += dz[r] gate[j]; dgate[j] = sum_r x[r, j] dz[r].
template <typename T>
void gateInputGrads(const T *x, const T *gate, const Acc<T> *dz, T *dx,
                    T *dgate, int64_t n, int64_t h) {
  if (dx)
    forEach(n * h, [=] MFRT_HD(int64_t i) {
      store(dx, i, load(dx, i) + dz[i / h] * load(gate, i % h));
    });
  if (dgate)
    forEach(h, [=] MFRT_HD(int64_t j) {
      Acc<T> s = 0;
      for (int64_t r = 0; r < n; ++r)
        s += load(x, r * h + j) * dz[r];
      store(dgate, j, s);
    });
}

/// G = x Wg, U = x Wu, act = silu(G) U, and out = act Wd when out is given.
template <typename T>
mfrt_status mlpFwd(const char *fn, mfrt_dtype dt, const T *x, int64_t n,
                   int64_t h, int64_t f, const T *wg, const T *wu,
                   const T *wd, T *out, Buffers &b) {
  mfrt_status st;
  if ((st = gemm(fn, dt, false, false, n, f, h, 1.0, x, h, wg, f, 0.0,
                 b.g.get(), f)) ||
      (st = gemm(fn, dt, false, false, n, f, h, 1.0, x, h, wu, f, 0.0,
                 b.u.get(), f)))
    return st;
  swigluAct(b.g.as<const T>(), b.u.as<const T>(), b.act.as<T>(), n * f);
  if (out)
    return gemm(fn, dt, false, false, n, h, f, 1.0, b.act.get(), f, wd, h,
                0.0, out, h);
  return MFRT_OK;
}

template <typename T>
mfrt_status sharedFwd(const char *fn, mfrt_dtype dt, const T *x, const T *wg,
                      const T *wu, const T *wd, const T *gate, T *out,
                      int64_t n, int64_t h, int64_t f) {
  Buffers b;
  if (mfrt_status st = b.allocate(fn, sizeof(T), sizeof(Acc<T>), n, h, f,
                                  gate != nullptr, false))
    return st;
  if (mfrt_status st = mlpFwd(fn, dt, x, n, h, f, wg, wu, wd, out, b))
    return st;
  if (gate) {
    gateSigmoid(x, gate, b.rowAcc.as<Acc<T>>(), n, h);
    scaleRows(out, b.rowAcc.as<const Acc<T>>(), out, n, h);
  }
  return launched(fn);
}

template <typename T>
mfrt_status sharedBwd(const char *fn, mfrt_dtype dt, const T *x, const T *wg,
                      const T *wu, const T *wd, const T *gate, const T *dout,
                      T *dx, T *dwg, T *dwu, T *dwd, T *dgate, int64_t n,
                      int64_t h, int64_t f) {
  Buffers b;
  bool gated = gate != nullptr;
  if (mfrt_status st = b.allocate(fn, sizeof(T), sizeof(Acc<T>), n, h, f,
                                  gated, true))
    return st;
  const T *dy = dout;
  mfrt_status st;
  if (gated) {
    // out = y sigmoid(z), z = x gate: dy = dout sg, dz = <dout, y> sg (1-sg).
    if ((st = mlpFwd(fn, dt, x, n, h, f, wg, wu, wd, b.y.as<T>(), b)))
      return st;
    gateSigmoid(x, gate, b.rowAcc.as<Acc<T>>(), n, h);
    scaleRows(dout, b.rowAcc.as<const Acc<T>>(), b.dy.as<T>(), n, h);
    gateGrad(dout, b.y.as<const T>(), b.rowAcc.as<Acc<T>>(), n, h);
    dy = b.dy.as<const T>();
  } else if ((st = mlpFwd(fn, dt, x, n, h, f, wg, wu, wd,
                          static_cast<T *>(nullptr), b))) {
    return st;
  }
  if (dwd && (st = gemm(fn, dt, true, false, f, h, n, 1.0, b.act.get(), f, dy,
                        h, 0.0, dwd, h)))
    return st;
  if ((st = gemm(fn, dt, false, true, n, f, h, 1.0, dy, h, wd, h, 0.0,
                 b.dact.get(), f)))
    return st;
  swigluGrad(b.dact.as<const T>(), b.g.as<T>(), b.u.as<T>(), n * f);
  if (dx && ((st = gemm(fn, dt, false, true, n, h, f, 1.0, b.g.get(), f, wg,
                        f, 0.0, dx, h)) ||
             (st = gemm(fn, dt, false, true, n, h, f, 1.0, b.u.get(), f, wu,
                        f, 1.0, dx, h))))
    return st;
  if (dwg && (st = gemm(fn, dt, true, false, h, f, n, 1.0, x, h, b.g.get(), f,
                        0.0, dwg, f)))
    return st;
  if (dwu && (st = gemm(fn, dt, true, false, h, f, n, 1.0, x, h, b.u.get(), f,
                        0.0, dwu, f)))
    return st;
  if (gated)
    gateInputGrads(x, gate, b.rowAcc.as<const Acc<T>>(), dx, dgate, n, h);
  return launched(fn);
}

template <typename T> T *optPtr(const mfrt_tensor *t) {
  return t ? ptr<T>(t) : nullptr;
}

} // namespace

extern "C" mfrt_status mfrt_cuda_shared_expert_fwd(
    const mfrt_tensor *x, const mfrt_tensor *w_gate, const mfrt_tensor *w_up,
    const mfrt_tensor *w_down, const mfrt_tensor *gate,
    const mfrt_tensor *out) {
  ArgChecker a("mfrt_cuda_shared_expert_fwd");
  a.allowBf16();
  if (!checkSharedExpertFwd(a, x, w_gate, w_up, w_down, gate, out))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  int64_t n = rows(x), h = lastDim(x), f = w_gate->shape[1];
  if (f == 0 || h == 0)
    return zeroDevice(out); // an empty reduction: y = 0 (and so is out)
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    return sharedFwd<T>(a.fn(), a.floatType(), ptr<const T>(x),
                        ptr<const T>(w_gate), ptr<const T>(w_up),
                        ptr<const T>(w_down), optPtr<const T>(gate),
                        ptr<T>(out), n, h, f);
  });
}

extern "C" mfrt_status mfrt_cuda_shared_expert_bwd(
    const mfrt_tensor *x, const mfrt_tensor *w_gate, const mfrt_tensor *w_up,
    const mfrt_tensor *w_down, const mfrt_tensor *gate,
    const mfrt_tensor *dout, const mfrt_tensor *dx,
    const mfrt_tensor *dw_gate, const mfrt_tensor *dw_up,
    const mfrt_tensor *dw_down, const mfrt_tensor *dgate) {
  ArgChecker a("mfrt_cuda_shared_expert_bwd");
  a.allowBf16();
  if (!checkSharedExpertBwd(a, x, w_gate, w_up, w_down, gate, dout, dx,
                            dw_gate, dw_up, dw_down, dgate))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  int64_t n = rows(x), h = lastDim(x), f = w_gate->shape[1];
  if (f == 0 || h == 0 || n == 0) {
    // Empty reductions: every gradient is zero.
    for (const mfrt_tensor *t : {dx, dw_gate, dw_up, dw_down, dgate})
      if (mfrt_status st = zeroDevice(t))
        return st;
    return MFRT_OK;
  }
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    return sharedBwd<T>(a.fn(), a.floatType(), ptr<const T>(x),
                        ptr<const T>(w_gate), ptr<const T>(w_up),
                        ptr<const T>(w_down), optPtr<const T>(gate),
                        ptr<const T>(dout), optPtr<T>(dx), optPtr<T>(dw_gate),
                        optPtr<T>(dw_up), optPtr<T>(dw_down), optPtr<T>(dgate),
                        n, h, f);
  });
}
