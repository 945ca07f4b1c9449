//===- Attention.cpp - causal / GQA attention on the device --------------===//
//
// A straightforward fused kernel, no [S, S] matrix in memory:
//  - prepare: one thread per (token, head) vector of q and of k writes an
//    accumulation-type copy, RMS-normalised (the _qknorm entry points) and
//    rotated (rope_theta > 0), as the CPU backend does before attention.
//  - forward: one thread per (batch, query head, query position) row. A
//    first pass over the keys finds the row's max and sum of exp (online
//    softmax); a second accumulates P V into a local array of kChunk head
//    columns (several passes when D > kChunk; consecutive threads of a
//    warp share (batch, head), so the k and v loads are broadcasts).
//  - backward: the same row threads recompute the log-sum-exp and
//    delta = sum_j P dP, store both, and accumulate dQ; then one thread per
//    (batch, kv head, key position) accumulates dK and dV over the query
//    heads of its group and the (causally) later queries. No atomics: the
//    result is deterministic.
//  - finish: one thread per (token, head) vector rotates dQ, dK back and
//    takes them through the norm; the norm weights' gradients are column
//    reductions (one thread per head column).
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "DenseSupport.h"

#include <cmath>

using namespace mfrt;
using namespace mfrt::gpu;
using namespace mfrt::gpu::dense;

namespace {

/// Head columns a thread accumulates at once.
constexpr int64_t kChunk = 128;

/// Rotates the pair (x1, x2) of column i < D/2 at position p by `sign` times
/// the angle p * theta^(-2i/D) (computed in double, as the CPU table).
template <typename A>
MFRT_HD inline void rotatePair(A &x1, A &x2, int64_t p, int64_t i, int64_t d,
                               double theta, double sign) {
  double angle = double(p) * pow(theta, -2.0 * double(i) / double(d));
  A c = A(cos(angle)), s = A(sign * sin(angle));
  A y1 = x1 * c - x2 * s, y2 = x2 * c + x1 * s;
  x1 = y1;
  x2 = y2;
}

/// y = rope(norm(x)) for the `vecs` D-vectors of a [B, S, heads*D] tensor,
/// in the accumulation type; w == nullptr: no norm; theta == 0: no rope.
template <typename T>
void prepare(const T *x, const T *w, Acc<T> *y, int64_t vecs, int64_t heads,
             int64_t s, int64_t d, double eps, double theta) {
  using A = Acc<T>;
  forEach(vecs, [=] MFRT_HD(int64_t vi) {
    const T *xv = x + vi * d;
    A *yv = y + vi * d;
    A inv = 1;
    if (w) {
      A ss = 0;
      for (int64_t i = 0; i < d; ++i)
        ss += load(xv, i) * load(xv, i);
      inv = A(1) / sqrtAcc(ss / A(d) + A(eps));
    }
    for (int64_t i = 0; i < d; ++i)
      yv[i] = w ? load(xv, i) * inv * load(w, i) : load(xv, i);
    if (theta > 0) {
      int64_t p = (vi / heads) % s, half = d / 2;
      for (int64_t i = 0; i < half; ++i)
        rotatePair(yv[i], yv[i + half], p, i, d, theta, 1.0);
    }
  });
}

template <typename A>
MFRT_HD inline A dot(const A *a, const A *b, int64_t d) {
  A s = 0;
  for (int64_t c = 0; c < d; ++c)
    s += a[c] * b[c];
  return s;
}
/// The same over two stored (possibly bf16) vectors.
template <typename A, typename T>
MFRT_HD inline A dotStored(const T *a, const T *b, int64_t d) {
  A s = 0;
  for (int64_t c = 0; c < d; ++c)
    s += load(a, c) * load(b, c);
  return s;
}

/// The row's max score and sum of exp(score - max) over keys [0, end).
template <typename A>
MFRT_HD inline void rowSoftmaxStats(const A *qi, const A *kb, int64_t ldk,
                                    int64_t end, int64_t d, A scale, A &m,
                                    A &l) {
  m = scale * dot(qi, kb, d);
  l = 1;
  for (int64_t j = 1; j < end; ++j) {
    A s = scale * dot(qi, kb + j * ldk, d);
    if (s > m) {
      l = l * expAcc(m - s);
      m = s;
    }
    l += expAcc(s - m);
  }
}

template <typename T>
void attentionFwd(const Acc<T> *q, const Acc<T> *k, const T *v, T *out,
                  AttnShape sh, bool causal) {
  using A = Acc<T>;
  int64_t ldq = sh.nq * sh.d, ldk = sh.nkv * sh.d, group = sh.nq / sh.nkv;
  int64_t s = sh.s, nq = sh.nq, d = sh.d;
  A scale = A(1) / sqrtAcc(A(d));
  forEachRow(sh.b * nq * s, [=] MFRT_HD(int64_t r) {
    int64_t i = r % s, bh = r / s, h = bh % nq, b = bh / nq, g = h / group;
    const A *qi = q + (b * s + i) * ldq + h * d;
    const A *kb = k + b * s * ldk + g * d;
    const T *vb = v + b * s * ldk + g * d;
    T *oi = out + (b * s + i) * ldq + h * d;
    int64_t end = causal ? i + 1 : s;
    A m, l;
    rowSoftmaxStats(qi, kb, ldk, end, d, scale, m, l);
    A invL = A(1) / l;
    for (int64_t c0 = 0; c0 < d; c0 += kChunk) {
      int64_t cn = d - c0 < kChunk ? d - c0 : kChunk;
      A acc[kChunk];
      for (int64_t c = 0; c < cn; ++c)
        acc[c] = 0;
      for (int64_t j = 0; j < end; ++j) {
        A p = expAcc(scale * dot(qi, kb + j * ldk, d) - m) * invL;
        for (int64_t c = 0; c < cn; ++c)
          acc[c] += p * load(vb, j * ldk + c0 + c);
      }
      for (int64_t c = 0; c < cn; ++c)
        store(oi, c0 + c, acc[c]);
    }
  });
}

/// Per query row: lse, delta = sum_j P dP (stored), and when gq is given
/// gq = scale sum_j P (dP - delta) k_j (the gradient of the prepared q).
template <typename T>
void attentionBwdQuery(const Acc<T> *q, const Acc<T> *k, const T *v,
                       const T *dout, Acc<T> *lse, Acc<T> *delta, Acc<T> *gq,
                       AttnShape sh, bool causal) {
  using A = Acc<T>;
  int64_t ldq = sh.nq * sh.d, ldk = sh.nkv * sh.d, group = sh.nq / sh.nkv;
  int64_t s = sh.s, nq = sh.nq, d = sh.d;
  A scale = A(1) / sqrtAcc(A(d));
  forEachRow(sh.b * nq * s, [=] MFRT_HD(int64_t r) {
    int64_t i = r % s, bh = r / s, h = bh % nq, b = bh / nq, g = h / group;
    int64_t qOff = (b * s + i) * ldq + h * d;
    const A *qi = q + qOff;
    const T *doi = dout + qOff;
    const A *kb = k + b * s * ldk + g * d;
    const T *vb = v + b * s * ldk + g * d;
    int64_t end = causal ? i + 1 : s;
    A m, l;
    rowSoftmaxStats(qi, kb, ldk, end, d, scale, m, l);
    A rowLse = m + logAcc(l), dl = 0;
    for (int64_t j = 0; j < end; ++j) {
      A p = expAcc(scale * dot(qi, kb + j * ldk, d) - rowLse);
      dl += p * dotStored<A>(doi, vb + j * ldk, d);
    }
    lse[r] = rowLse;
    delta[r] = dl;
    if (!gq)
      return;
    for (int64_t c0 = 0; c0 < d; c0 += kChunk) {
      int64_t cn = d - c0 < kChunk ? d - c0 : kChunk;
      A acc[kChunk];
      for (int64_t c = 0; c < cn; ++c)
        acc[c] = 0;
      for (int64_t j = 0; j < end; ++j) {
        const A *kj = kb + j * ldk;
        A p = expAcc(scale * dot(qi, kj, d) - rowLse);
        A ds = p * (dotStored<A>(doi, vb + j * ldk, d) - dl);
        for (int64_t c = 0; c < cn; ++c)
          acc[c] += ds * kj[c0 + c];
      }
      for (int64_t c = 0; c < cn; ++c)
        gq[qOff + c0 + c] = scale * acc[c];
    }
  });
}

/// Per key row of a kv head: gk = scale sum P (dP - delta) q_i (gradient of
/// the prepared k) and dv = sum P dO_i, over the group's query heads and the
/// queries that see the key. Either output may be null.
template <typename T>
void attentionBwdKey(const Acc<T> *q, const Acc<T> *k, const T *v,
                     const T *dout, const Acc<T> *lse, const Acc<T> *delta,
                     Acc<T> *gk, T *dv, AttnShape sh, bool causal) {
  using A = Acc<T>;
  int64_t ldq = sh.nq * sh.d, ldk = sh.nkv * sh.d, group = sh.nq / sh.nkv;
  int64_t s = sh.s, nq = sh.nq, nkv = sh.nkv, d = sh.d;
  A scale = A(1) / sqrtAcc(A(d));
  forEachRow(sh.b * nkv * s, [=] MFRT_HD(int64_t r) {
    int64_t j = r % s, bg = r / s, g = bg % nkv, b = bg / nkv;
    int64_t kOff = (b * s + j) * ldk + g * d;
    const A *kj = k + kOff;
    const T *vj = v + kOff;
    for (int64_t c0 = 0; c0 < d; c0 += kChunk) {
      int64_t cn = d - c0 < kChunk ? d - c0 : kChunk;
      A accK[kChunk], accV[kChunk];
      for (int64_t c = 0; c < cn; ++c)
        accK[c] = accV[c] = 0;
      for (int64_t h = g * group; h < (g + 1) * group; ++h)
        for (int64_t i = causal ? j : 0; i < s; ++i) {
          int64_t qOff = (b * s + i) * ldq + h * d;
          int64_t rq = (b * nq + h) * s + i;
          const A *qi = q + qOff;
          const T *doi = dout + qOff;
          A p = expAcc(scale * dot(qi, kj, d) - lse[rq]);
          if (dv)
            for (int64_t c = 0; c < cn; ++c)
              accV[c] += p * load(doi, c0 + c);
          if (gk) {
            A ds = p * (dotStored<A>(doi, vj, d) - delta[rq]);
            for (int64_t c = 0; c < cn; ++c)
              accK[c] += ds * qi[c0 + c];
          }
        }
      for (int64_t c = 0; c < cn; ++c) {
        if (gk)
          gk[kOff + c0 + c] = scale * accK[c];
        if (dv)
          store(dv, kOff + c0 + c, accV[c]);
      }
    }
  });
}

/// From the gradient `gv` of the prepared vectors (in place): rotates it
/// back (the gradient of the normalised x), then through the norm into dx
/// (when given); keeps 1/rms per vector in `inv` for the weight gradient.
template <typename T>
void finishGrad(const T *x, const T *w, Acc<T> *grad, Acc<T> *inv, T *dx,
                int64_t vecs, int64_t heads, int64_t s, int64_t d, double eps,
                double theta) {
  using A = Acc<T>;
  forEach(vecs, [=] MFRT_HD(int64_t vi) {
    A *gv = grad + vi * d;
    const T *xv = x + vi * d;
    if (theta > 0) {
      int64_t p = (vi / heads) % s, half = d / 2;
      for (int64_t i = 0; i < half; ++i)
        rotatePair(gv[i], gv[i + half], p, i, d, theta, -1.0);
    }
    if (!w) {
      if (dx)
        for (int64_t i = 0; i < d; ++i)
          store(dx, vi * d + i, gv[i]);
      return;
    }
    A ss = 0, dt = 0;
    for (int64_t i = 0; i < d; ++i) {
      A xi = load(xv, i);
      ss += xi * xi;
      dt += load(w, i) * gv[i] * xi;
    }
    A iv = A(1) / sqrtAcc(ss / A(d) + A(eps));
    A c = iv * iv * iv * dt / A(d);
    inv[vi] = iv;
    if (dx)
      for (int64_t i = 0; i < d; ++i)
        store(dx, vi * d + i, iv * load(w, i) * gv[i] - load(xv, i) * c);
  });
}

/// dw[i] = sum over vectors of grad * x * inv.
template <typename T>
void normWeightGrad(const T *x, const Acc<T> *grad, const Acc<T> *inv, T *dw,
                    int64_t vecs, int64_t d) {
  forEach(d, [=] MFRT_HD(int64_t i) {
    Acc<T> s = 0;
    for (int64_t vi = 0; vi < vecs; ++vi)
      s += grad[vi * d + i] * load(x, vi * d + i) * inv[vi];
    store(dw, i, s);
  });
}

/// The inputs of one call; qNorm, kNorm null without the norm.
struct Inputs {
  const mfrt_tensor *q, *k, *v, *qNorm, *kNorm;
  AttnShape sh;
  bool causal;
  double theta, eps;
};

template <typename T> const T *optIn(const mfrt_tensor *t) {
  return t ? ptr<const T>(t) : nullptr;
}
template <typename T> T *optOut(const mfrt_tensor *t) {
  return t ? ptr<T>(t) : nullptr;
}

/// Prepared (normalised, rotated) q and k in scratch.
template <typename T> struct Prepared {
  Scratch q, k;
  int64_t qVecs, kVecs;
  mfrt_status run(const char *fn, const Inputs &in) {
    const AttnShape &sh = in.sh;
    qVecs = sh.b * sh.s * sh.nq;
    kVecs = sh.b * sh.s * sh.nkv;
    size_t a = sizeof(Acc<T>);
    if (mfrt_status st = q.allocate(fn, a * size_t(qVecs * sh.d)))
      return st;
    if (mfrt_status st = k.allocate(fn, a * size_t(kVecs * sh.d)))
      return st;
    prepare(ptr<const T>(in.q), optIn<T>(in.qNorm), q.as<Acc<T>>(), qVecs,
            sh.nq, sh.s, sh.d, in.eps, in.theta);
    prepare(ptr<const T>(in.k), optIn<T>(in.kNorm), k.as<Acc<T>>(), kVecs,
            sh.nkv, sh.s, sh.d, in.eps, in.theta);
    return MFRT_OK;
  }
};

template <typename T>
mfrt_status forward(const char *fn, const Inputs &in, const mfrt_tensor *out) {
  Prepared<T> p;
  if (mfrt_status st = p.run(fn, in))
    return st;
  attentionFwd(p.q.template as<const Acc<T>>(), p.k.template as<const Acc<T>>(),
               ptr<const T>(in.v), ptr<T>(out), in.sh, in.causal);
  return launched(fn);
}

/// Gradients; every output may be null.
template <typename T>
mfrt_status backward(const char *fn, const Inputs &in, const mfrt_tensor *dout,
                     const mfrt_tensor *dq, const mfrt_tensor *dk,
                     const mfrt_tensor *dv, const mfrt_tensor *dqNorm,
                     const mfrt_tensor *dkNorm) {
  using A = Acc<T>;
  const AttnShape &sh = in.sh;
  bool wantQ = dq || dqNorm, wantK = dk || dkNorm;
  if (!wantQ && !wantK && !dv)
    return MFRT_OK;
  Prepared<T> p;
  if (mfrt_status st = p.run(fn, in))
    return st;
  int64_t rowsQ = sh.b * sh.nq * sh.s;
  Scratch lse, delta, gq, gk, inv;
  size_t a = sizeof(A);
  mfrt_status st;
  if ((st = lse.allocate(fn, a * size_t(rowsQ))) ||
      (st = delta.allocate(fn, a * size_t(rowsQ))) ||
      (wantQ && (st = gq.allocate(fn, a * size_t(p.qVecs * sh.d)))) ||
      (wantK && (st = gk.allocate(fn, a * size_t(p.kVecs * sh.d)))) ||
      (st = inv.allocate(fn, a * size_t(p.qVecs > p.kVecs ? p.qVecs
                                                          : p.kVecs))))
    return st;
  const A *q = p.q.template as<const A>(), *k = p.k.template as<const A>();
  const T *v = ptr<const T>(in.v), *g = ptr<const T>(dout);
  attentionBwdQuery(q, k, v, g, lse.as<A>(), delta.as<A>(),
                    wantQ ? gq.as<A>() : nullptr, sh, in.causal);
  if (wantK || dv)
    attentionBwdKey(q, k, v, g, lse.as<const A>(), delta.as<const A>(),
                    wantK ? gk.as<A>() : nullptr, optOut<T>(dv), sh,
                    in.causal);
  struct Side {
    bool want;
    const mfrt_tensor *x, *w, *dx, *dw;
    Scratch *grad;
    int64_t vecs, heads;
  };
  for (const Side &side : {Side{wantQ, in.q, in.qNorm, dq, dqNorm, &gq,
                                p.qVecs, sh.nq},
                           Side{wantK, in.k, in.kNorm, dk, dkNorm, &gk,
                                p.kVecs, sh.nkv}}) {
    if (!side.want)
      continue;
    finishGrad(ptr<const T>(side.x), optIn<T>(side.w), side.grad->template as<A>(),
               inv.as<A>(), optOut<T>(side.dx), side.vecs, side.heads, sh.s,
               sh.d, in.eps, in.theta);
    if (side.dw)
      normWeightGrad(ptr<const T>(side.x), side.grad->template as<const A>(),
                     inv.as<const A>(), ptr<T>(side.dw), side.vecs, sh.d);
  }
  return launched(fn);
}

} // namespace

extern "C" mfrt_status
mfrt_cuda_attention_fwd(const mfrt_tensor *q, const mfrt_tensor *k,
                        const mfrt_tensor *v, int64_t num_heads,
                        int64_t num_kv_heads, int32_t causal,
                        double rope_theta, const mfrt_tensor *out) {
  ArgChecker a("mfrt_cuda_attention_fwd");
  a.allowBf16();
  Inputs in{q, k, v, nullptr, nullptr, {}, causal != 0, rope_theta, 0.0};
  if (!checkAttentionFwd(a, q, k, v, num_heads, num_kv_heads, rope_theta, out,
                         in.sh))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    return forward<decltype(tag)>(a.fn(), in, out);
  });
}

extern "C" mfrt_status
mfrt_cuda_attention_bwd(const mfrt_tensor *q, const mfrt_tensor *k,
                        const mfrt_tensor *v, int64_t num_heads,
                        int64_t num_kv_heads, int32_t causal,
                        double rope_theta, const mfrt_tensor *dout,
                        const mfrt_tensor *dq, const mfrt_tensor *dk,
                        const mfrt_tensor *dv) {
  ArgChecker a("mfrt_cuda_attention_bwd");
  a.allowBf16();
  Inputs in{q, k, v, nullptr, nullptr, {}, causal != 0, rope_theta, 0.0};
  if (!checkAttentionBwd(a, q, k, v, num_heads, num_kv_heads, rope_theta, dout,
                         dq, dk, dv, in.sh))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    return backward<decltype(tag)>(a.fn(), in, dout, dq, dk, dv, nullptr,
                                   nullptr);
  });
}

extern "C" mfrt_status mfrt_cuda_attention_qknorm_fwd(
    const mfrt_tensor *q, const mfrt_tensor *k, const mfrt_tensor *v,
    const mfrt_tensor *q_norm, const mfrt_tensor *k_norm, int64_t num_heads,
    int64_t num_kv_heads, int32_t causal, double rope_theta, double epsilon,
    const mfrt_tensor *out) {
  ArgChecker a("mfrt_cuda_attention_qknorm_fwd");
  a.allowBf16();
  Inputs in{q, k, v, q_norm, k_norm, {}, causal != 0, rope_theta, epsilon};
  if (!checkAttentionQKNormFwd(a, q, k, v, q_norm, k_norm, num_heads,
                               num_kv_heads, rope_theta, epsilon, out, in.sh))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    return forward<decltype(tag)>(a.fn(), in, out);
  });
}

extern "C" mfrt_status mfrt_cuda_attention_qknorm_bwd(
    const mfrt_tensor *q, const mfrt_tensor *k, const mfrt_tensor *v,
    const mfrt_tensor *q_norm, const mfrt_tensor *k_norm, int64_t num_heads,
    int64_t num_kv_heads, int32_t causal, double rope_theta, double epsilon,
    const mfrt_tensor *dout, const mfrt_tensor *dq, const mfrt_tensor *dk,
    const mfrt_tensor *dv, const mfrt_tensor *dq_norm,
    const mfrt_tensor *dk_norm) {
  ArgChecker a("mfrt_cuda_attention_qknorm_bwd");
  a.allowBf16();
  Inputs in{q, k, v, q_norm, k_norm, {}, causal != 0, rope_theta, epsilon};
  if (!checkAttentionQKNormBwd(a, q, k, v, q_norm, k_norm, num_heads,
                               num_kv_heads, rope_theta, epsilon, dout, dq, dk,
                               dv, dq_norm, dk_norm, in.sh))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    return backward<decltype(tag)>(a.fn(), in, dout, dq, dk, dv, dq_norm,
                                   dk_norm);
  });
}
