//===- Attention.cpp - causal / GQA scaled dot-product attention ----------===//
//
// Per (batch, query head): P = softmax(Q K^T / sqrt(D) [+ causal mask]),
// O = P V, with Q, K, V read in place through row strides (no repacking).
// The backward recomputes P (no saved activations).
//
// Rotary position embedding (rope_theta > 0): Q and K are rotated into
// scratch copies first and attention runs on the copies. The rotation is
// orthogonal, so the backward runs on the rotated copies and rotates dQ and
// dK back by the opposite angle, in place.
//
// Per-head q/k RMSNorm (Qwen3, the _qknorm entry points): every D-element
// head of Q and K is normalised into scratch copies before the rotation; the
// backward gets the gradients of the normalised copies from the code above
// and takes them through the norm (dx and the summed weight gradient).
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_ops.h"

#include "../src/OpChecks.h"
#include "Blas.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mfrt;
using namespace mfrt::cpu;

namespace {

/// cos and sin of the rotary angles, [S, D/2] each: position p, pair i
/// turns by p * theta^(-2i/D). Computed in double.
struct RopeTable {
  Buffer<double> cos, sin;
  RopeTable(const AttnShape &sh, double theta)
      : cos(sh.s * (sh.d / 2)), sin(sh.s * (sh.d / 2)) {
    if (!ok())
      return;
    int64_t half = sh.d / 2;
    for (int64_t i = 0; i < half; ++i) {
      double invFreq = std::pow(theta, -2.0 * double(i) / double(sh.d));
      for (int64_t p = 0; p < sh.s; ++p) {
        double angle = double(p) * invFreq;
        cos[p * half + i] = std::cos(angle);
        sin[p * half + i] = std::sin(angle);
      }
    }
  }
  bool ok() const { return cos.ok() && sin.ok(); }
};

/// y = rotate(x) for a [B, S, heads*D] tensor; `sign` -1 rotates by the
/// opposite angle (the transpose, used for the gradient). x may equal y.
template <typename T>
void applyRope(const T *x, T *y, const AttnShape &sh, int64_t heads,
               RopeTable &table, double sign) {
  int64_t half = sh.d / 2;
  for (int64_t b = 0; b < sh.b; ++b)
    for (int64_t p = 0; p < sh.s; ++p) {
      const double *c = table.cos.data() + p * half;
      const double *sn = table.sin.data() + p * half;
      int64_t row = (b * sh.s + p) * heads * sh.d;
      for (int64_t h = 0; h < heads; ++h) {
        const T *xh = x + row + h * sh.d;
        T *yh = y + row + h * sh.d;
        for (int64_t i = 0; i < half; ++i) {
          double x1 = double(xh[i]), x2 = double(xh[i + half]);
          double s = sign * sn[i];
          yh[i] = T(x1 * c[i] - x2 * s);
          yh[i + half] = T(x2 * c[i] + x1 * s);
        }
      }
    }
}

/// P[S,S] = softmax(scale * Q K^T) of one (batch, head), masked rows zeroed
/// past the diagonal when causal.
template <typename T>
void probabilities(const T *q, int64_t ldq, const T *k, int64_t ldk,
                   const AttnShape &sh, bool causal, T *p) {
  int64_t s = sh.s;
  T scale = T(1) / std::sqrt(T(sh.d));
  gemm(false, true, s, s, sh.d, scale, q, ldq, k, ldk, T(0), p, s);
  for (int64_t i = 0; i < s; ++i) {
    T *row = p + i * s;
    int64_t end = causal ? i + 1 : s;
    T mx = row[0];
    for (int64_t j = 1; j < end; ++j)
      mx = row[j] > mx ? row[j] : mx;
    double sum = 0;
    for (int64_t j = 0; j < end; ++j) {
      row[j] = std::exp(row[j] - mx);
      sum += row[j];
    }
    for (int64_t j = 0; j < end; ++j)
      row[j] = T(row[j] / sum);
    for (int64_t j = end; j < s; ++j)
      row[j] = T(0);
  }
}

template <typename T>
mfrt_status attentionFwd(const T *qd, const T *kd, const T *vd, T *od,
                         const AttnShape &sh, bool causal, const char *fn) {
  Buffer<T> p(sh.s * sh.s);
  if (!p.ok())
    return outOfMemory(fn);
  int64_t ldq = sh.nq * sh.d, ldk = sh.nkv * sh.d, group = sh.nq / sh.nkv;
  for (int64_t b = 0; b < sh.b; ++b)
    for (int64_t h = 0; h < sh.nq; ++h) {
      int64_t g = h / group;
      const T *q = qd + b * sh.s * ldq + h * sh.d;
      const T *k = kd + b * sh.s * ldk + g * sh.d;
      const T *v = vd + b * sh.s * ldk + g * sh.d;
      T *o = od + b * sh.s * ldq + h * sh.d;
      probabilities(q, ldq, k, ldk, sh, causal, p.data());
      gemm(false, false, sh.s, sh.d, sh.s, T(1), p.data(), sh.s, v, ldk,
           T(0), o, ldq);
    }
  return MFRT_OK;
}

/// With rotary embedding (ropeTheta > 0) on scratch copies of q and k.
template <typename T>
mfrt_status attentionFwdRope(const T *q, const T *k, const T *v, T *o,
                             const AttnShape &sh, bool causal, double ropeTheta,
                             const char *fn) {
  if (ropeTheta == 0)
    return attentionFwd(q, k, v, o, sh, causal, fn);
  RopeTable table(sh, ropeTheta);
  Buffer<T> qr(sh.b * sh.s * sh.nq * sh.d), kr(sh.b * sh.s * sh.nkv * sh.d);
  if (!table.ok() || !qr.ok() || !kr.ok())
    return outOfMemory(fn);
  applyRope(q, qr.data(), sh, sh.nq, table, 1.0);
  applyRope(k, kr.data(), sh, sh.nkv, table, 1.0);
  return attentionFwd(qr.data(), kr.data(), v, o, sh, causal, fn);
}

/// dq, dk, dv may be null (not needed).
template <typename T>
mfrt_status attentionBwd(const T *qd, const T *kd, const T *vd, const T *dod,
                         T *dqd, T *dkd, T *dvd, const AttnShape &sh,
                         bool causal, const char *fn) {
  int64_t s = sh.s;
  Buffer<T> p(s * s), dp(s * s);
  if (!p.ok() || !dp.ok())
    return outOfMemory(fn);
  int64_t ldq = sh.nq * sh.d, ldk = sh.nkv * sh.d, group = sh.nq / sh.nkv;
  if (dkd)
    std::memset(dkd, 0, sizeof(T) * size_t(sh.b * s * ldk));
  if (dvd)
    std::memset(dvd, 0, sizeof(T) * size_t(sh.b * s * ldk));
  T scale = T(1) / std::sqrt(T(sh.d));
  for (int64_t b = 0; b < sh.b; ++b)
    for (int64_t h = 0; h < sh.nq; ++h) {
      int64_t g = h / group;
      int64_t qOff = b * s * ldq + h * sh.d, kOff = b * s * ldk + g * sh.d;
      const T *q = qd + qOff, *k = kd + kOff, *v = vd + kOff, *dO = dod + qOff;
      probabilities(q, ldq, k, ldk, sh, causal, p.data());
      // dV_g += P^T dO.
      if (dvd)
        gemm(true, false, s, sh.d, s, T(1), p.data(), s, dO, ldq, T(1),
             dvd + kOff, ldk);
      if (!dqd && !dkd)
        continue;
      // dP = dO V^T; dS = P * (dP - rowsum(P * dP)), stored in dp.
      gemm(false, true, s, s, sh.d, T(1), dO, ldq, v, ldk, T(0), dp.data(), s);
      for (int64_t i = 0; i < s; ++i) {
        T *pr = p.data() + i * s, *dr = dp.data() + i * s;
        double dotp = 0;
        for (int64_t j = 0; j < s; ++j)
          dotp += double(pr[j]) * double(dr[j]);
        for (int64_t j = 0; j < s; ++j)
          dr[j] = T(double(pr[j]) * (double(dr[j]) - dotp));
      }
      // dQ = scale dS K; dK_g += scale dS^T Q.
      if (dqd)
        gemm(false, false, s, sh.d, s, scale, dp.data(), s, k, ldk, T(0),
             dqd + qOff, ldq);
      if (dkd)
        gemm(true, false, s, sh.d, s, scale, dp.data(), s, q, ldq, T(1),
             dkd + kOff, ldk);
    }
  return MFRT_OK;
}

template <typename T> T *optPtr(const mfrt_tensor *t) {
  return t ? ptr<T>(t) : nullptr;
}

/// The backward with rotary embedding; dq, dk are gradients of the
/// unrotated q, k. dq, dk, dv may be null.
template <typename T>
mfrt_status attentionBwdRope(const T *q, const T *k, const T *v, const T *dO,
                             T *dq, T *dk, T *dv, const AttnShape &sh,
                             bool causal, double ropeTheta, const char *fn) {
  if (ropeTheta == 0)
    return attentionBwd(q, k, v, dO, dq, dk, dv, sh, causal, fn);
  RopeTable table(sh, ropeTheta);
  Buffer<T> qr(sh.b * sh.s * sh.nq * sh.d), kr(sh.b * sh.s * sh.nkv * sh.d);
  if (!table.ok() || !qr.ok() || !kr.ok())
    return outOfMemory(fn);
  applyRope(q, qr.data(), sh, sh.nq, table, 1.0);
  applyRope(k, kr.data(), sh, sh.nkv, table, 1.0);
  // Gradients with respect to the rotated q, k ...
  mfrt_status st =
      attentionBwd(qr.data(), kr.data(), v, dO, dq, dk, dv, sh, causal, fn);
  if (st != MFRT_OK)
    return st;
  // ... rotated back: the transpose of a rotation is the opposite rotation.
  if (dq)
    applyRope(dq, dq, sh, sh.nq, table, -1.0);
  if (dk)
    applyRope(dk, dk, sh, sh.nkv, table, -1.0);
  return MFRT_OK;
}

/// y = x * rsqrt(mean(x^2) + eps) * w for each of the n contiguous
/// d-element vectors (heads) of x. Accumulates in double.
template <typename T>
void headNorm(const T *x, const T *w, T *y, int64_t n, int64_t d, double eps) {
  for (int64_t r = 0; r < n; ++r) {
    const T *xr = x + r * d;
    double ss = 0;
    for (int64_t i = 0; i < d; ++i)
      ss += double(xr[i]) * double(xr[i]);
    double inv = 1.0 / std::sqrt(ss / double(d) + eps);
    for (int64_t i = 0; i < d; ++i)
      y[r * d + i] = T(double(xr[i]) * inv * double(w[i]));
  }
}

/// The backward of headNorm: dy (the gradient of y) is replaced by dx when
/// dx is null, else dx is written; dw (d doubles) accumulates
/// sum over vectors of dy * x * rsqrt(...).
template <typename T>
void headNormBwd(const T *x, const T *w, const T *dy, T *dx, double *dw,
                 int64_t n, int64_t d, double eps) {
  for (int64_t r = 0; r < n; ++r) {
    const T *xr = x + r * d, *gr = dy + r * d;
    double ss = 0, dot = 0;
    for (int64_t i = 0; i < d; ++i) {
      ss += double(xr[i]) * double(xr[i]);
      dot += double(w[i]) * double(gr[i]) * double(xr[i]);
    }
    double inv = 1.0 / std::sqrt(ss / double(d) + eps);
    double c = inv * inv * inv * dot / double(d);
    for (int64_t i = 0; i < d; ++i)
      dw[i] += double(gr[i]) * double(xr[i]) * inv;
    if (dx)
      for (int64_t i = 0; i < d; ++i)
        dx[r * d + i] =
            T(inv * double(w[i]) * double(gr[i]) - double(xr[i]) * c);
  }
}

template <typename T>
mfrt_status attentionQKNormFwd(const T *q, const T *k, const T *v,
                               const T *wq, const T *wk, T *o,
                               const AttnShape &sh, bool causal,
                               double ropeTheta, double eps, const char *fn) {
  int64_t nq = sh.b * sh.s * sh.nq, nk = sh.b * sh.s * sh.nkv;
  Buffer<T> qn(nq * sh.d), kn(nk * sh.d);
  if (!qn.ok() || !kn.ok())
    return outOfMemory(fn);
  headNorm(q, wq, qn.data(), nq, sh.d, eps);
  headNorm(k, wk, kn.data(), nk, sh.d, eps);
  return attentionFwdRope(qn.data(), kn.data(), v, o, sh, causal, ropeTheta,
                          fn);
}

/// Every output may be null (not needed).
template <typename T>
mfrt_status attentionQKNormBwd(const T *q, const T *k, const T *v,
                               const T *wq, const T *wk, const T *dO, T *dq,
                               T *dk, T *dv, T *dwq, T *dwk,
                               const AttnShape &sh, bool causal,
                               double ropeTheta, double eps, const char *fn) {
  int64_t nq = sh.b * sh.s * sh.nq, nk = sh.b * sh.s * sh.nkv;
  Buffer<T> qn(nq * sh.d), kn(nk * sh.d), gq(nq * sh.d), gk(nk * sh.d);
  Buffer<double> acc(sh.d);
  if (!qn.ok() || !kn.ok() || !gq.ok() || !gk.ok() || !acc.ok())
    return outOfMemory(fn);
  headNorm(q, wq, qn.data(), nq, sh.d, eps);
  headNorm(k, wk, kn.data(), nk, sh.d, eps);
  // Gradients with respect to the normalised q, k ...
  mfrt_status st = attentionBwdRope(qn.data(), kn.data(), v, dO, gq.data(),
                                    gk.data(), dv, sh, causal, ropeTheta, fn);
  if (st != MFRT_OK)
    return st;
  // ... through the norms.
  struct Side {
    const T *x, *w, *g;
    T *dx, *dw;
    int64_t n;
  };
  for (const Side &side : {Side{q, wq, gq.data(), dq, dwq, nq},
                           Side{k, wk, gk.data(), dk, dwk, nk}}) {
    std::fill(acc.data(), acc.data() + sh.d, 0.0);
    headNormBwd(side.x, side.w, side.g, side.dx, acc.data(), side.n, sh.d, eps);
    if (side.dw)
      for (int64_t i = 0; i < sh.d; ++i)
        side.dw[i] = T(acc[i]);
  }
  return MFRT_OK;
}

} // namespace

extern "C" mfrt_status
mfrt_attention_fwd(const mfrt_tensor *q, const mfrt_tensor *k,
                   const mfrt_tensor *v, int64_t num_heads,
                   int64_t num_kv_heads, int32_t causal, double rope_theta,
                   const mfrt_tensor *out) {
  ArgChecker a("mfrt_attention_fwd");
  AttnShape sh;
  if (!checkAttentionFwd(a, q, k, v, num_heads, num_kv_heads, rope_theta, out,
                         sh))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    return attentionFwdRope<T>(ptr<T>(q), ptr<T>(k), ptr<T>(v), ptr<T>(out),
                               sh, causal != 0, rope_theta, a.fn());
  });
}

extern "C" mfrt_status
mfrt_attention_bwd(const mfrt_tensor *q, const mfrt_tensor *k,
                   const mfrt_tensor *v, int64_t num_heads,
                   int64_t num_kv_heads, int32_t causal, double rope_theta,
                   const mfrt_tensor *dout, const mfrt_tensor *dq,
                   const mfrt_tensor *dk, const mfrt_tensor *dv) {
  ArgChecker a("mfrt_attention_bwd");
  AttnShape sh;
  if (!checkAttentionBwd(a, q, k, v, num_heads, num_kv_heads, rope_theta, dout,
                         dq, dk, dv, sh))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    return attentionBwdRope<T>(ptr<T>(q), ptr<T>(k), ptr<T>(v), ptr<T>(dout),
                               optPtr<T>(dq), optPtr<T>(dk), optPtr<T>(dv), sh,
                               causal != 0, rope_theta, a.fn());
  });
}

extern "C" mfrt_status mfrt_attention_qknorm_fwd(
    const mfrt_tensor *q, const mfrt_tensor *k, const mfrt_tensor *v,
    const mfrt_tensor *q_norm, const mfrt_tensor *k_norm, int64_t num_heads,
    int64_t num_kv_heads, int32_t causal, double rope_theta, double epsilon,
    const mfrt_tensor *out) {
  ArgChecker a("mfrt_attention_qknorm_fwd");
  AttnShape sh;
  if (!checkAttentionQKNormFwd(a, q, k, v, q_norm, k_norm, num_heads,
                               num_kv_heads, rope_theta, epsilon, out, sh))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    return attentionQKNormFwd<T>(ptr<T>(q), ptr<T>(k), ptr<T>(v),
                                 ptr<T>(q_norm), ptr<T>(k_norm), ptr<T>(out),
                                 sh, causal != 0, rope_theta, epsilon, a.fn());
  });
}

extern "C" mfrt_status mfrt_attention_qknorm_bwd(
    const mfrt_tensor *q, const mfrt_tensor *k, const mfrt_tensor *v,
    const mfrt_tensor *q_norm, const mfrt_tensor *k_norm, int64_t num_heads,
    int64_t num_kv_heads, int32_t causal, double rope_theta, double epsilon,
    const mfrt_tensor *dout, const mfrt_tensor *dq, const mfrt_tensor *dk,
    const mfrt_tensor *dv, const mfrt_tensor *dq_norm,
    const mfrt_tensor *dk_norm) {
  ArgChecker a("mfrt_attention_qknorm_bwd");
  AttnShape sh;
  if (!checkAttentionQKNormBwd(a, q, k, v, q_norm, k_norm, num_heads,
                               num_kv_heads, rope_theta, epsilon, dout, dq, dk,
                               dv, dq_norm, dk_norm, sh))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    return attentionQKNormBwd<T>(
        ptr<T>(q), ptr<T>(k), ptr<T>(v), ptr<T>(q_norm), ptr<T>(k_norm),
        ptr<T>(dout), optPtr<T>(dq), optPtr<T>(dk), optPtr<T>(dv),
        optPtr<T>(dq_norm), optPtr<T>(dk_norm), sh, causal != 0, rope_theta,
        epsilon, a.fn());
  });
}
