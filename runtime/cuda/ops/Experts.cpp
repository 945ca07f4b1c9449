//===- Experts.cpp - grouped SwiGLU experts and peer counts --------------===//
//
// mfrt_cuda_experts_fwd/bwd with the CPU backend's contract
// (cpu/Experts.cpp): group g's rows go through expert g mod E. Every GEMM
// is one grouped GEMM over the groups (GroupedGemm.h); the weight-gradient
// GEMMs run per round of E groups (distinct experts, so no two problems of
// one call write the same gradient block): round 0 overwrites, later rounds
// accumulate. The group sizes come to the host in one small copy (they size
// the GEMMs and are validated there, as on the CPU).
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "../GroupedGemm.h"
#include "MoeSupport.h"

#include <climits>
#include <vector>

using namespace mfrt;
using namespace mfrt::gpu;
using namespace mfrt::gpu::moe;

/// act = silu(g) * u.
template <typename T>
static void swigluKernel(const T *g, const T *u, int64_t n, T *act) {
  forEach(n, [=] MFRT_HD(int64_t i) {
    store(act, i, silu(load(g, i)) * load(u, i));
  });
}

/// In place: g <- dact * u * silu'(g), u <- dact * silu(g).
template <typename T>
static void swigluGradKernel(const T *dact, int64_t n, T *g, T *u) {
  forEach(n, [=] MFRT_HD(int64_t i) {
    Acc<T> gi = load(g, i), ui = load(u, i), d = load(dact, i);
    store(g, i, d * ui * siluGrad(gi));
    store(u, i, d * silu(gi));
  });
}

/// sums[p] = counts[p*block ..][:block]; a block with a negative entry or
/// a sum over the i32 range lowers `bad` to its index.
static void blockSums(const int32_t *counts, int64_t peers, int64_t block,
                      int32_t *sums, int32_t *bad) {
  forEach(peers, [=] MFRT_HD(int64_t p) {
    int64_t sum = 0;
    bool ok = true;
    for (int64_t j = 0; j < block; ++j) {
      int32_t c = counts[p * block + j];
      ok = ok && c >= 0;
      sum += c;
    }
    if (!ok || sum > INT32_MAX)
      atomicMinI32(bad, int32_t(p));
    else
      sums[p] = int32_t(sum);
  });
}

namespace {

/// The experts' shapes and the host copy of the group sizes.
struct Groups : ExpertDims {
  int64_t total = 0;
  std::vector<int32_t> sizes;
  std::vector<int64_t> offsets; // first row of each group
};

bool checkExperts(ArgChecker &a, const mfrt_tensor *sorted,
                  const mfrt_tensor *groupSizes, const mfrt_tensor *wg,
                  const mfrt_tensor *wu, const mfrt_tensor *wd, Groups &gr) {
  if (!checkExpertShapes(a, sorted, groupSizes, wg, wu, wd, gr))
    return false;
  if (ready(a.fn()) != MFRT_OK)
    return a.fail("%s", mfrt_last_error());
  gr.sizes.resize(size_t(gr.g));
  gr.offsets.resize(size_t(gr.g));
  if (gr.g && mfrt_device_copy_to_host(gr.sizes.data(), groupSizes->data,
                                       size_t(gr.g) * sizeof(int32_t)))
    return a.fail("%s", mfrt_last_error());
  if (!checkGroupSizes(a, gr.sizes.data(), gr, gr.total))
    return false;
  int64_t row = 0;
  for (int64_t i = 0; i < gr.g; ++i) {
    gr.offsets[size_t(i)] = row;
    row += gr.sizes[size_t(i)];
  }
  return true;
}

/// Byte address of element `i` of a tensor (or scratch) of `dtype`.
inline void *at(void *base, int64_t i, mfrt_dtype dtype) {
  return static_cast<char *>(base) + i * int64_t(mfrt_dtype_size(dtype));
}
inline const void *at(const void *base, int64_t i, mfrt_dtype dtype) {
  return static_cast<const char *>(base) + i * int64_t(mfrt_dtype_size(dtype));
}

/// The SwiGLU intermediates of all groups: g, u and act, [total, F] each.
struct Hidden {
  Scratch g, u, act;
  mfrt_status allocate(const char *fn, size_t bytes) {
    if (mfrt_status st = g.allocate(fn, bytes))
      return st;
    if (mfrt_status st = u.allocate(fn, bytes))
      return st;
    return act.allocate(fn, bytes);
  }
};

/// C_j = X_j @ W[e(j)] for every group j: X rows at the group's offset
/// (row stride ldx), W an [E, k, n] stack, C rows at the group's offset.
mfrt_status perGroup(const char *fn, mfrt_dtype dt, const Groups &gr,
                     bool transB, const void *x, int64_t ldx, const void *w,
                     int64_t k, int64_t n, void *c, double beta) {
  std::vector<GemmProblem> ps;
  for (int64_t j = 0; j < gr.g; ++j) {
    int64_t row = gr.offsets[size_t(j)], e = j % gr.e;
    ps.push_back({gr.sizes[size_t(j)], n, k, at(x, row * ldx, dt), ldx,
                  at(w, e * k * n, dt), transB ? k : n, at(c, row * n, dt),
                  n});
  }
  return groupedGemm(fn, dt, false, transB, 1.0, beta, ps.data(),
                     int64_t(ps.size()));
}

/// dW[e] = sum over the groups j of expert e of X_j^T @ D_j: X_j [n_j, m]
/// and D_j [n_j, n] at the group's row offset, dW an [E, m, n] stack.
/// Round r covers groups [rE, (r+1)E); experts without rows in round 0 get
/// zero gradients (the CPU's beta-0 GEMM with k = 0).
mfrt_status weightGrad(const char *fn, mfrt_dtype dt, const Groups &gr,
                       const void *x, int64_t m, const void *d, int64_t n,
                       void *dw) {
  for (int64_t r = 0; r * gr.e < gr.g; ++r) {
    std::vector<GemmProblem> ps;
    for (int64_t e = 0; e < gr.e; ++e) {
      int64_t j = r * gr.e + e, row = gr.offsets[size_t(j)];
      int64_t rowsJ = gr.sizes[size_t(j)];
      if (r == 0 && rowsJ == 0)
        if (mfrt_status st = mfrt_device_zero(
                at(dw, e * m * n, dt), size_t(m * n) * mfrt_dtype_size(dt)))
          return st;
      ps.push_back({m, n, rowsJ, at(x, row * m, dt), m, at(d, row * n, dt), n,
                    at(dw, e * m * n, dt), n});
    }
    if (mfrt_status st = groupedGemm(fn, dt, true, false, 1.0, r ? 1.0 : 0.0,
                                     ps.data(), int64_t(ps.size())))
      return st;
  }
  return MFRT_OK;
}

/// g, u and act of every group (the forward's first half).
mfrt_status hiddenFwd(const char *fn, mfrt_dtype dt, const Groups &gr,
                      const void *x, const void *wg, const void *wu,
                      Hidden &hid) {
  if (mfrt_status st = hid.allocate(
          fn, size_t(gr.total * gr.f) * mfrt_dtype_size(dt)))
    return st;
  if (mfrt_status st = perGroup(fn, dt, gr, false, x, gr.h, wg, gr.h, gr.f,
                                hid.g.get(), 0.0))
    return st;
  if (mfrt_status st = perGroup(fn, dt, gr, false, x, gr.h, wu, gr.h, gr.f,
                                hid.u.get(), 0.0))
    return st;
  return dispatchStorage(dt, [&](auto tag) {
    using T = decltype(tag);
    swigluKernel(hid.g.as<const T>(), hid.u.as<const T>(), gr.total * gr.f,
                 hid.act.as<T>());
    return launched(fn);
  });
}

/// Zeroes rows [total, n) of an [n, h] output (padding).
mfrt_status zeroPadding(const Groups &gr, mfrt_dtype dt, void *out) {
  return mfrt_device_zero(at(out, gr.total * gr.h, dt),
                          size_t((gr.n - gr.total) * gr.h) *
                              mfrt_dtype_size(dt));
}

} // namespace

extern "C" mfrt_status mfrt_cuda_experts_fwd(const mfrt_tensor *sorted,
                                             const mfrt_tensor *group_sizes,
                                             const mfrt_tensor *w_gate,
                                             const mfrt_tensor *w_up,
                                             const mfrt_tensor *w_down,
                                             const mfrt_tensor *out) {
  ArgChecker a("mfrt_cuda_experts_fwd");
  a.allowBf16();
  Groups gr;
  if (!checkExperts(a, sorted, group_sizes, w_gate, w_up, w_down, gr) ||
      !a.floatTensor(out, "out") || !a.shape(out, "out", Dims::of(sorted)))
    return a.status();
  mfrt_dtype dt = a.floatType();
  Hidden hid;
  if (mfrt_status st =
          hiddenFwd(a.fn(), dt, gr, sorted->data, w_gate->data, w_up->data,
                    hid))
    return st;
  if (mfrt_status st = perGroup(a.fn(), dt, gr, false, hid.act.get(), gr.f,
                                w_down->data, gr.f, gr.h, out->data, 0.0))
    return st;
  return zeroPadding(gr, dt, out->data);
}

extern "C" mfrt_status mfrt_cuda_experts_bwd(
    const mfrt_tensor *sorted, const mfrt_tensor *group_sizes,
    const mfrt_tensor *w_gate, const mfrt_tensor *w_up,
    const mfrt_tensor *w_down, const mfrt_tensor *dout,
    const mfrt_tensor *dsorted, const mfrt_tensor *dw_gate,
    const mfrt_tensor *dw_up, const mfrt_tensor *dw_down) {
  ArgChecker a("mfrt_cuda_experts_bwd");
  a.allowBf16();
  Groups gr;
  if (!checkExperts(a, sorted, group_sizes, w_gate, w_up, w_down, gr) ||
      !a.floatTensor(dout, "dout") ||
      !a.shape(dout, "dout", Dims::of(sorted)) ||
      !a.optFloat(dsorted, "dsorted", Dims::of(sorted)) ||
      !a.optFloat(dw_gate, "dw_gate", Dims::of(w_gate)) ||
      !a.optFloat(dw_up, "dw_up", Dims::of(w_up)) ||
      !a.optFloat(dw_down, "dw_down", Dims::of(w_down)))
    return a.status();
  mfrt_dtype dt = a.floatType();
  const char *fn = a.fn();
  Hidden hid;
  if (mfrt_status st = hiddenFwd(fn, dt, gr, sorted->data, w_gate->data,
                                 w_up->data, hid))
    return st;
  if (dw_down)
    if (mfrt_status st = weightGrad(fn, dt, gr, hid.act.get(), gr.f,
                                    dout->data, gr.h, dw_down->data))
      return st;
  // dact = dout @ w_down[e]^T, reusing act's buffer (no longer needed).
  if (mfrt_status st = perGroup(fn, dt, gr, true, dout->data, gr.h,
                                w_down->data, gr.h, gr.f, hid.act.get(), 0.0))
    return st;
  mfrt_status st = dispatchStorage(dt, [&](auto tag) {
    using T = decltype(tag);
    swigluGradKernel(hid.act.as<const T>(), gr.total * gr.f, hid.g.as<T>(),
                     hid.u.as<T>());
    return launched(fn);
  });
  if (st != MFRT_OK)
    return st;
  // hid.g is now dG, hid.u dU.
  if (dsorted) {
    if ((st = perGroup(fn, dt, gr, true, hid.g.get(), gr.f, w_gate->data,
                       gr.f, gr.h, dsorted->data, 0.0)) ||
        (st = perGroup(fn, dt, gr, true, hid.u.get(), gr.f, w_up->data, gr.f,
                       gr.h, dsorted->data, 1.0)) ||
        (st = zeroPadding(gr, dt, dsorted->data)))
      return st;
  }
  if (dw_gate)
    if ((st = weightGrad(fn, dt, gr, sorted->data, gr.h, hid.g.get(), gr.f,
                         dw_gate->data)))
      return st;
  if (dw_up)
    if ((st = weightGrad(fn, dt, gr, sorted->data, gr.h, hid.u.get(), gr.f,
                         dw_up->data)))
      return st;
  return MFRT_OK;
}

//===--- peer counts ------------------------------------------------------===//

extern "C" mfrt_status mfrt_cuda_peer_counts(const mfrt_tensor *counts,
                                             int64_t peers,
                                             const mfrt_tensor *out) {
  ArgChecker a("mfrt_cuda_peer_counts");
  if (!checkPeerCounts(a, counts, peers, out))
    return a.status();
  int64_t n = counts->shape[0];
  if (peers > INT32_MAX) {
    a.fail("peers = %lld is beyond the i32 range",
           static_cast<long long>(peers));
    return a.status();
  }
  if (mfrt_status st = ready(a.fn()))
    return st;
  int64_t block = n / peers;
  Scratch sums;
  DeviceMin bad;
  if (mfrt_status st = sums.allocate(a.fn(), size_t(peers) * sizeof(int32_t)))
    return st;
  if (mfrt_status st = bad.init(a.fn(), int32_t(peers)))
    return st;
  blockSums(ptr<const int32_t>(counts), peers, block, sums.as<int32_t>(),
            bad.get());
  int32_t first = 0;
  if (mfrt_status st = launched(a.fn()))
    return st;
  if (mfrt_status st = bad.read(first))
    return st;
  if (first < peers) {
    // Diagnose the first bad block on the host, in the CPU's words.
    std::vector<int32_t> host(static_cast<size_t>(block));
    if (mfrt_status st = mfrt_device_copy_to_host(
            host.data(), ptr<const int32_t>(counts) + first * block,
            size_t(block) * sizeof(int32_t)))
      return st;
    int64_t sum = 0;
    for (int64_t j = 0; j < block; ++j) {
      if (host[size_t(j)] < 0) {
        a.fail("counts: negative entry %d at %lld", host[size_t(j)],
               static_cast<long long>(first * block + j));
        return a.status();
      }
      sum += host[size_t(j)];
    }
    a.fail("counts: block %lld sums to %lld, over the i32 range",
           static_cast<long long>(first), static_cast<long long>(sum));
    return a.status();
  }
  return mfrt_device_copy(out->data, sums.get(),
                          size_t(peers) * sizeof(int32_t));
}
