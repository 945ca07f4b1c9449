//===- Experts.cpp - grouped SwiGLU experts and the shared expert ---------===//
//
// Both ops are the SwiGLU MLP (silu(x Wg) * (x Wu)) Wd; the routed experts
// apply expert (g mod E) weights to the g-th contiguous group of rows, so
// group_sizes may list several groups per expert: under expert parallelism
// the rows a rank receives come peer-major ([ep][E/ep] groups, the folded
// dispatch of docs/partition.md). Rows past the groups' sum are padding (a
// static worst-case capacity): their outputs and gradients are zero and
// they add nothing to the weight gradients. Backward recomputes the hidden
// activations.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_ops.h"

#include "../src/OpChecks.h"
#include "Blas.h"
#include "Math.h"

#include <algorithm>
#include <cstdint>

using namespace mfrt;
using namespace mfrt::cpu;

namespace {

/// Scratch for an MLP over at most `n` rows with hidden size `f`.
template <typename T> struct MlpScratch {
  Buffer<T> g, u, act;
  MlpScratch(int64_t n, int64_t f) : g(n * f), u(n * f), act(n * f) {}
  bool ok() const { return g.ok() && u.ok() && act.ok(); }
};

/// out[n,h] = (silu(x Wg) * (x Wu)) Wd; leaves g, u, act in the scratch.
template <typename T>
void mlpFwd(const T *x, int64_t n, int64_t h, int64_t f, const T *wg,
            const T *wu, const T *wd, T *out, MlpScratch<T> &s) {
  gemm(false, false, n, f, h, T(1), x, h, wg, f, T(0), s.g.data(), f);
  gemm(false, false, n, f, h, T(1), x, h, wu, f, T(0), s.u.data(), f);
  for (int64_t i = 0; i < n * f; ++i)
    s.act[i] = silu(s.g[i]) * s.u[i];
  if (out)
    gemm(false, false, n, h, f, T(1), s.act.data(), f, wd, h, T(0), out, h);
}

/// Gradients of the MLP for output gradient dout[n,h]. Any of dx, dwg, dwu,
/// dwd may be NULL. `dact` is scratch of n*f. Weight gradients are
/// overwritten (`wbeta` 0) or accumulated into (`wbeta` 1).
template <typename T>
void mlpBwd(const T *x, int64_t n, int64_t h, int64_t f, const T *wg,
            const T *wu, const T *wd, const T *dout, T *dx, T *dwg, T *dwu,
            T *dwd, MlpScratch<T> &s, T *dact, T wbeta = T(0)) {
  mlpFwd(x, n, h, f, wg, wu, wd, static_cast<T *>(nullptr), s);
  if (dwd)
    gemm(true, false, f, h, n, T(1), s.act.data(), f, dout, h, wbeta, dwd, h);
  gemm(false, true, n, f, h, T(1), dout, h, wd, h, T(0), dact, f);
  // In place: g <- dG = dact * u * silu'(g), u <- dU = dact * silu(g).
  for (int64_t i = 0; i < n * f; ++i) {
    T g = s.g[i], u = s.u[i];
    s.g[i] = dact[i] * u * siluGrad(g);
    s.u[i] = dact[i] * silu(g);
  }
  if (dx) {
    gemm(false, true, n, h, f, T(1), s.g.data(), f, wg, f, T(0), dx, h);
    gemm(false, true, n, h, f, T(1), s.u.data(), f, wu, f, T(1), dx, h);
  }
  if (dwg)
    gemm(true, false, h, f, n, T(1), x, h, s.g.data(), f, wbeta, dwg, f);
  if (dwu)
    gemm(true, false, h, f, n, T(1), x, h, s.u.data(), f, wbeta, dwu, f);
}

//===--- experts ----------------------------------------------------------===//

bool checkExperts(ArgChecker &a, const mfrt_tensor *sorted,
                  const mfrt_tensor *groupSizes, const mfrt_tensor *wg,
                  const mfrt_tensor *wu, const mfrt_tensor *wd,
                  int64_t &maxGroup) {
  ExpertDims dims;
  int64_t total = 0;
  if (!checkExpertShapes(a, sorted, groupSizes, wg, wu, wd, dims) ||
      !checkGroupSizes(a, ptr<int32_t>(groupSizes), dims, total))
    return false;
  maxGroup = 0;
  for (int64_t i = 0; i < dims.g; ++i)
    maxGroup = std::max<int64_t>(maxGroup, ptr<int32_t>(groupSizes)[i]);
  return true;
}

} // namespace

extern "C" mfrt_status mfrt_experts_fwd(const mfrt_tensor *sorted,
                                        const mfrt_tensor *group_sizes,
                                        const mfrt_tensor *w_gate,
                                        const mfrt_tensor *w_up,
                                        const mfrt_tensor *w_down,
                                        const mfrt_tensor *out) {
  ArgChecker a("mfrt_experts_fwd");
  int64_t maxGroup = 0;
  if (!checkExperts(a, sorted, group_sizes, w_gate, w_up, w_down, maxGroup) ||
      !a.floatTensor(out, "out") || !a.shape(out, "out", Dims::of(sorted)))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t g = group_sizes->shape[0], e = w_gate->shape[0],
            h = sorted->shape[1], f = w_gate->shape[2];
    MlpScratch<T> s(maxGroup, f);
    if (!s.ok())
      return outOfMemory(a.fn());
    int64_t row = 0;
    for (int64_t j = 0; j < g; ++j) {
      int64_t n = ptr<int32_t>(group_sizes)[j], i = j % e;
      mlpFwd(ptr<T>(sorted) + row * h, n, h, f, ptr<T>(w_gate) + i * h * f,
             ptr<T>(w_up) + i * h * f, ptr<T>(w_down) + i * f * h,
             ptr<T>(out) + row * h, s);
      row += n;
    }
    // Padding rows.
    std::fill(ptr<T>(out) + row * h, ptr<T>(out) + sorted->shape[0] * h, T(0));
    return MFRT_OK;
  });
}

extern "C" mfrt_status
mfrt_experts_bwd(const mfrt_tensor *sorted, const mfrt_tensor *group_sizes,
                 const mfrt_tensor *w_gate, const mfrt_tensor *w_up,
                 const mfrt_tensor *w_down, const mfrt_tensor *dout,
                 const mfrt_tensor *dsorted, const mfrt_tensor *dw_gate,
                 const mfrt_tensor *dw_up, const mfrt_tensor *dw_down) {
  ArgChecker a("mfrt_experts_bwd");
  int64_t maxGroup = 0;
  if (!checkExperts(a, sorted, group_sizes, w_gate, w_up, w_down, maxGroup) ||
      !a.floatTensor(dout, "dout") ||
      !a.shape(dout, "dout", Dims::of(sorted)) ||
      !a.optFloat(dsorted, "dsorted", Dims::of(sorted)) ||
      !a.optFloat(dw_gate, "dw_gate", Dims::of(w_gate)) ||
      !a.optFloat(dw_up, "dw_up", Dims::of(w_up)) ||
      !a.optFloat(dw_down, "dw_down", Dims::of(w_down)))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t g = group_sizes->shape[0], e = w_gate->shape[0],
            h = sorted->shape[1], f = w_gate->shape[2];
    MlpScratch<T> s(maxGroup, f);
    Buffer<T> dact(maxGroup * f);
    if (!s.ok() || !dact.ok())
      return outOfMemory(a.fn());
    auto at = [](const mfrt_tensor *t, int64_t off) {
      return t ? ptr<T>(t) + off : static_cast<T *>(nullptr);
    };
    int64_t row = 0;
    for (int64_t j = 0; j < g; ++j) {
      // The first group of an expert overwrites its weight gradients, later
      // ones (other peers' rows) accumulate.
      int64_t n = ptr<int32_t>(group_sizes)[j], i = j % e;
      mlpBwd(ptr<T>(sorted) + row * h, n, h, f, ptr<T>(w_gate) + i * h * f,
             ptr<T>(w_up) + i * h * f, ptr<T>(w_down) + i * f * h,
             ptr<T>(dout) + row * h, at(dsorted, row * h),
             at(dw_gate, i * h * f), at(dw_up, i * h * f),
             at(dw_down, i * f * h), s, dact.data(), j < e ? T(0) : T(1));
      row += n;
    }
    if (dsorted)
      std::fill(ptr<T>(dsorted) + row * h,
                ptr<T>(dsorted) + sorted->shape[0] * h, T(0));
    return MFRT_OK;
  });
}

//===--- peer counts ------------------------------------------------------===//

extern "C" mfrt_status mfrt_peer_counts(const mfrt_tensor *counts,
                                        int64_t peers,
                                        const mfrt_tensor *out) {
  ArgChecker a("mfrt_peer_counts");
  if (!checkPeerCounts(a, counts, peers, out))
    return a.status();
  int64_t n = counts->shape[0];
  int64_t block = n / peers;
  for (int64_t p = 0; p < peers; ++p) {
    int64_t sum = 0;
    for (int64_t j = 0; j < block; ++j) {
      int32_t c = ptr<int32_t>(counts)[p * block + j];
      if (c < 0) {
        a.fail("counts: negative entry %d at %lld", c,
               static_cast<long long>(p * block + j));
        return a.status();
      }
      sum += c;
    }
    if (sum > INT32_MAX) {
      a.fail("counts: block %lld sums to %lld, over the i32 range",
             static_cast<long long>(p), static_cast<long long>(sum));
      return a.status();
    }
    ptr<int32_t>(out)[p] = static_cast<int32_t>(sum);
  }
  return MFRT_OK;
}

//===--- shared expert ----------------------------------------------------===//

extern "C" mfrt_status mfrt_shared_expert_fwd(const mfrt_tensor *x,
                                              const mfrt_tensor *w_gate,
                                              const mfrt_tensor *w_up,
                                              const mfrt_tensor *w_down,
                                              const mfrt_tensor *gate,
                                              const mfrt_tensor *out) {
  ArgChecker a("mfrt_shared_expert_fwd");
  if (!checkSharedExpertFwd(a, x, w_gate, w_up, w_down, gate, out))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t n = rows(x), h = lastDim(x), f = w_gate->shape[1];
    MlpScratch<T> s(n, f);
    if (!s.ok())
      return outOfMemory(a.fn());
    mlpFwd(ptr<T>(x), n, h, f, ptr<T>(w_gate), ptr<T>(w_up), ptr<T>(w_down),
           ptr<T>(out), s);
    if (gate)
      for (int64_t i = 0; i < n; ++i) {
        double z = 0;
        for (int64_t j = 0; j < h; ++j)
          z += double(ptr<T>(x)[i * h + j]) * double(ptr<T>(gate)[j]);
        T sg = T(sigmoid(z));
        for (int64_t j = 0; j < h; ++j)
          ptr<T>(out)[i * h + j] *= sg;
      }
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_shared_expert_bwd(
    const mfrt_tensor *x, const mfrt_tensor *w_gate, const mfrt_tensor *w_up,
    const mfrt_tensor *w_down, const mfrt_tensor *gate,
    const mfrt_tensor *dout, const mfrt_tensor *dx,
    const mfrt_tensor *dw_gate, const mfrt_tensor *dw_up,
    const mfrt_tensor *dw_down, const mfrt_tensor *dgate) {
  ArgChecker a("mfrt_shared_expert_bwd");
  if (!checkSharedExpertBwd(a, x, w_gate, w_up, w_down, gate, dout, dx,
                            dw_gate, dw_up, dw_down, dgate))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t n = rows(x), h = lastDim(x), f = w_gate->shape[1];
    MlpScratch<T> s(n, f);
    Buffer<T> dact(n * f), dy(gate ? n * h : 0), dz(gate ? n : 0);
    if (!s.ok() || !dact.ok() || !dy.ok() || !dz.ok())
      return outOfMemory(a.fn());
    const T *xp = ptr<T>(x), *g = ptr<T>(dout);
    const T *dyp = g;
    if (gate) {
      // out = y sigmoid(z), z = x gate: dy = dout sg,
      // dz = <dout, y> sg (1 - sg).
      Buffer<T> y(n * h);
      if (!y.ok())
        return outOfMemory(a.fn());
      mlpFwd(xp, n, h, f, ptr<T>(w_gate), ptr<T>(w_up), ptr<T>(w_down),
             y.data(), s);
      for (int64_t i = 0; i < n; ++i) {
        double z = 0, dot = 0;
        for (int64_t j = 0; j < h; ++j) {
          z += double(xp[i * h + j]) * double(ptr<T>(gate)[j]);
          dot += double(g[i * h + j]) * double(y[i * h + j]);
        }
        double sg = sigmoid(z);
        dz[i] = T(dot * sg * (1 - sg));
        for (int64_t j = 0; j < h; ++j)
          dy[i * h + j] = T(double(g[i * h + j]) * sg);
      }
      dyp = dy.data();
    }
    auto opt = [](const mfrt_tensor *t) {
      return t ? ptr<T>(t) : static_cast<T *>(nullptr);
    };
    mlpBwd(xp, n, h, f, ptr<T>(w_gate), ptr<T>(w_up), ptr<T>(w_down), dyp,
           opt(dx), opt(dw_gate), opt(dw_up), opt(dw_down), s, dact.data());
    if (gate) {
      if (dx)
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < h; ++j)
            ptr<T>(dx)[i * h + j] += dz[i] * ptr<T>(gate)[j];
      if (dgate)
        gemm(true, false, h, 1, n, T(1), xp, h, dz.data(), 1, T(0),
             ptr<T>(dgate), 1);
    }
    return MFRT_OK;
  });
}
