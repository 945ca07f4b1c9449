//===- Attention.cpp - causal / GQA scaled dot-product attention ----------===//
//
// Per (batch, query head): P = softmax(Q K^T / sqrt(D) [+ causal mask]),
// O = P V, with Q, K, V read in place through row strides (no repacking).
// The backward recomputes P (no saved activations).
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_ops.h"

#include "../src/Support.h"
#include "Blas.h"

#include <cmath>

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
mfrt_status attentionFwd(const mfrt_tensor *qt, const mfrt_tensor *kt,
                         const mfrt_tensor *vt, const mfrt_tensor *ot,
                         const AttnShape &sh, bool causal, const char *fn) {
  Buffer<T> p(sh.s * sh.s);
  if (!p.ok())
    return outOfMemory(fn);
  int64_t ldq = sh.nq * sh.d, ldk = sh.nkv * sh.d, group = sh.nq / sh.nkv;
  for (int64_t b = 0; b < sh.b; ++b)
    for (int64_t h = 0; h < sh.nq; ++h) {
      int64_t g = h / group;
      const T *q = ptr<T>(qt) + b * sh.s * ldq + h * sh.d;
      const T *k = ptr<T>(kt) + b * sh.s * ldk + g * sh.d;
      const T *v = ptr<T>(vt) + b * sh.s * ldk + g * sh.d;
      T *o = ptr<T>(ot) + b * sh.s * ldq + h * sh.d;
      probabilities(q, ldq, k, ldk, sh, causal, p.data());
      gemm(false, false, sh.s, sh.d, sh.s, T(1), p.data(), sh.s, v, ldk,
           T(0), o, ldq);
    }
  return MFRT_OK;
}

template <typename T>
mfrt_status attentionBwd(const mfrt_tensor *qt, const mfrt_tensor *kt,
                         const mfrt_tensor *vt, const mfrt_tensor *dot,
                         const mfrt_tensor *dqt, const mfrt_tensor *dkt,
                         const mfrt_tensor *dvt, const AttnShape &sh,
                         bool causal, const char *fn) {
  int64_t s = sh.s;
  Buffer<T> p(s * s), dp(s * s);
  if (!p.ok() || !dp.ok())
    return outOfMemory(fn);
  zeroTensor(dkt);
  zeroTensor(dvt);
  int64_t ldq = sh.nq * sh.d, ldk = sh.nkv * sh.d, group = sh.nq / sh.nkv;
  T scale = T(1) / std::sqrt(T(sh.d));
  for (int64_t b = 0; b < sh.b; ++b)
    for (int64_t h = 0; h < sh.nq; ++h) {
      int64_t g = h / group;
      int64_t qOff = b * s * ldq + h * sh.d, kOff = b * s * ldk + g * sh.d;
      const T *q = ptr<T>(qt) + qOff, *k = ptr<T>(kt) + kOff,
              *v = ptr<T>(vt) + kOff, *dO = ptr<T>(dot) + qOff;
      probabilities(q, ldq, k, ldk, sh, causal, p.data());
      // dV_g += P^T dO.
      if (dvt)
        gemm(true, false, s, sh.d, s, T(1), p.data(), s, dO, ldq, T(1),
             ptr<T>(dvt) + kOff, ldk);
      if (!dqt && !dkt)
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
      if (dqt)
        gemm(false, false, s, sh.d, s, scale, dp.data(), s, k, ldk, T(0),
             ptr<T>(dqt) + qOff, ldq);
      if (dkt)
        gemm(true, false, s, sh.d, s, scale, dp.data(), s, q, ldq, T(1),
             ptr<T>(dkt) + kOff, ldk);
    }
  return MFRT_OK;
}

} // namespace

extern "C" mfrt_status mfrt_attention_fwd(const mfrt_tensor *q,
                                          const mfrt_tensor *k,
                                          const mfrt_tensor *v,
                                          int64_t num_heads,
                                          int64_t num_kv_heads, int32_t causal,
                                          const mfrt_tensor *out) {
  ArgChecker a("mfrt_attention_fwd");
  AttnShape sh;
  if (!checkAttention(a, q, k, v, num_heads, num_kv_heads, sh) ||
      !a.floatTensor(out, "out") || !a.shape(out, "out", Dims::of(q)))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    return attentionFwd<decltype(tag)>(q, k, v, out, sh, causal != 0, a.fn());
  });
}

extern "C" mfrt_status
mfrt_attention_bwd(const mfrt_tensor *q, const mfrt_tensor *k,
                   const mfrt_tensor *v, int64_t num_heads,
                   int64_t num_kv_heads, int32_t causal,
                   const mfrt_tensor *dout, const mfrt_tensor *dq,
                   const mfrt_tensor *dk, const mfrt_tensor *dv) {
  ArgChecker a("mfrt_attention_bwd");
  AttnShape sh;
  if (!checkAttention(a, q, k, v, num_heads, num_kv_heads, sh) ||
      !a.floatTensor(dout, "dout") || !a.shape(dout, "dout", Dims::of(q)) ||
      !a.optFloat(dq, "dq", Dims::of(q)) ||
      !a.optFloat(dk, "dk", Dims::of(k)) || !a.optFloat(dv, "dv", Dims::of(v)))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    return attentionBwd<decltype(tag)>(q, k, v, dout, dq, dk, dv, sh,
                                       causal != 0, a.fn());
  });
}
