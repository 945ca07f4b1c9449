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
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_ops.h"

#include "../src/Support.h"
#include "Blas.h"

#include <cmath>
#include <cstring>

using namespace mfrt;
using namespace mfrt::cpu;

namespace {

struct AttnShape {
  int64_t b, s, nq, nkv, d;
};

bool checkAttention(ArgChecker &a, const mfrt_tensor *q, const mfrt_tensor *k,
                    const mfrt_tensor *v, int64_t numHeads, int64_t numKv,
                    AttnShape &sh) {
  if (!a.floatTensor(q, "q") || !a.shape(q, "q", {-1, -1, -1}) ||
      !a.floatTensor(k, "k") || !a.floatTensor(v, "v"))
    return false;
  if (numHeads <= 0 || numKv <= 0)
    return a.fail("num_heads (%lld) and num_kv_heads (%lld) must be positive",
                  static_cast<long long>(numHeads),
                  static_cast<long long>(numKv));
  if (numHeads % numKv != 0)
    return a.fail("num_heads (%lld) is not a multiple of num_kv_heads (%lld)",
                  static_cast<long long>(numHeads),
                  static_cast<long long>(numKv));
  if (q->shape[2] % numHeads != 0 || q->shape[2] == 0)
    return a.fail("q: last extent %lld is not a positive multiple of "
                  "num_heads (%lld)",
                  static_cast<long long>(q->shape[2]),
                  static_cast<long long>(numHeads));
  sh = {q->shape[0], q->shape[1], numHeads, numKv, q->shape[2] / numHeads};
  Dims kvDims{sh.b, sh.s, numKv * sh.d};
  return a.shape(k, "k", kvDims) && a.shape(v, "v", kvDims);
}

bool checkRope(ArgChecker &a, double ropeTheta, const AttnShape &sh) {
  if (!(ropeTheta >= 0) || !std::isfinite(ropeTheta))
    return a.fail("rope_theta must be 0 (no rotary embedding) or positive "
                  "and finite, got %g",
                  ropeTheta);
  if (ropeTheta > 0 && sh.d % 2 != 0)
    return a.fail("rope_theta needs an even head dimension, got D = %lld",
                  static_cast<long long>(sh.d));
  return true;
}

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

template <typename T>
mfrt_status attentionFwd(const mfrt_tensor *qt, const mfrt_tensor *kt,
                         const mfrt_tensor *vt, const mfrt_tensor *ot,
                         const AttnShape &sh, bool causal, double ropeTheta,
                         const char *fn) {
  if (ropeTheta == 0)
    return attentionFwd(ptr<T>(qt), ptr<T>(kt), ptr<T>(vt), ptr<T>(ot), sh,
                        causal, fn);
  RopeTable table(sh, ropeTheta);
  Buffer<T> qr(numel(qt)), kr(numel(kt));
  if (!table.ok() || !qr.ok() || !kr.ok())
    return outOfMemory(fn);
  applyRope(ptr<T>(qt), qr.data(), sh, sh.nq, table, 1.0);
  applyRope(ptr<T>(kt), kr.data(), sh, sh.nkv, table, 1.0);
  return attentionFwd(qr.data(), kr.data(), ptr<T>(vt), ptr<T>(ot), sh, causal,
                      fn);
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

template <typename T>
mfrt_status attentionBwd(const mfrt_tensor *qt, const mfrt_tensor *kt,
                         const mfrt_tensor *vt, const mfrt_tensor *dot,
                         const mfrt_tensor *dqt, const mfrt_tensor *dkt,
                         const mfrt_tensor *dvt, const AttnShape &sh,
                         bool causal, double ropeTheta, const char *fn) {
  T *dq = optPtr<T>(dqt), *dk = optPtr<T>(dkt), *dv = optPtr<T>(dvt);
  if (ropeTheta == 0)
    return attentionBwd(ptr<T>(qt), ptr<T>(kt), ptr<T>(vt), ptr<T>(dot), dq, dk,
                        dv, sh, causal, fn);
  RopeTable table(sh, ropeTheta);
  Buffer<T> qr(numel(qt)), kr(numel(kt));
  if (!table.ok() || !qr.ok() || !kr.ok())
    return outOfMemory(fn);
  applyRope(ptr<T>(qt), qr.data(), sh, sh.nq, table, 1.0);
  applyRope(ptr<T>(kt), kr.data(), sh, sh.nkv, table, 1.0);
  // Gradients with respect to the rotated q, k ...
  mfrt_status st = attentionBwd(qr.data(), kr.data(), ptr<T>(vt), ptr<T>(dot),
                                dq, dk, dv, sh, causal, fn);
  if (st != MFRT_OK)
    return st;
  // ... rotated back: the transpose of a rotation is the opposite rotation.
  if (dq)
    applyRope(dq, dq, sh, sh.nq, table, -1.0);
  if (dk)
    applyRope(dk, dk, sh, sh.nkv, table, -1.0);
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
  if (!checkAttention(a, q, k, v, num_heads, num_kv_heads, sh) ||
      !checkRope(a, rope_theta, sh) || !a.floatTensor(out, "out") ||
      !a.shape(out, "out", Dims::of(q)))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    return attentionFwd<decltype(tag)>(q, k, v, out, sh, causal != 0,
                                       rope_theta, a.fn());
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
  if (!checkAttention(a, q, k, v, num_heads, num_kv_heads, sh) ||
      !checkRope(a, rope_theta, sh) || !a.floatTensor(dout, "dout") ||
      !a.shape(dout, "dout", Dims::of(q)) ||
      !a.optFloat(dq, "dq", Dims::of(q)) ||
      !a.optFloat(dk, "dk", Dims::of(k)) || !a.optFloat(dv, "dv", Dims::of(v)))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    return attentionBwd<decltype(tag)>(q, k, v, dout, dq, dk, dv, sh,
                                       causal != 0, rope_theta, a.fn());
  });
}
