//===- Losses.cpp - load-balancing aux loss and cross-entropy -------------===//

#include "moefold_runtime/mfrt_ops.h"

#include "../src/OpChecks.h"

#include <cmath>

using namespace mfrt;

namespace {

/// f_e = fraction of the T*K routed copies that went to expert e.
bool routedFractions(const mfrt_tensor *indices, int64_t e, Buffer<double> &f) {
  if (!f.ok())
    return false;
  int64_t n = numel(indices);
  for (int64_t j = 0; j < e; ++j)
    f[j] = 0;
  for (int64_t i = 0; i < n; ++i)
    f[ptr<int32_t>(indices)[i]] += 1;
  for (int64_t j = 0; j < e; ++j)
    f[j] = n ? f[j] / double(n) : 0.0;
  return true;
}

/// log(sum_j exp(row[j])), stably.
template <typename T> double logSumExp(const T *row, int64_t v) {
  double mx = row[0];
  for (int64_t j = 1; j < v; ++j)
    mx = row[j] > mx ? double(row[j]) : mx;
  double s = 0;
  for (int64_t j = 0; j < v; ++j)
    s += std::exp(double(row[j]) - mx);
  return mx + std::log(s);
}

} // namespace

extern "C" mfrt_status mfrt_aux_loss_fwd(const mfrt_tensor *probs,
                                         const mfrt_tensor *indices,
                                         double coeff,
                                         const mfrt_tensor *loss) {
  ArgChecker a("mfrt_aux_loss_fwd");
  if (!checkAux(a, probs, indices, coeff) ||
      !checkIndexRange(a, indices, "indices", lastDim(probs)) ||
      !a.floatScalar(loss, "loss"))
    return a.status();
  int64_t e = lastDim(probs), t = rows(probs);
  Buffer<double> f(e);
  if (!routedFractions(indices, e, f))
    return outOfMemory(a.fn());
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    double sum = 0;
    for (int64_t i = 0; i < t; ++i)
      for (int64_t j = 0; j < e; ++j)
        sum += f[j] * double(ptr<T>(probs)[i * e + j]);
    *ptr<T>(loss) = t ? T(coeff * double(e) * sum / double(t)) : T(0);
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_aux_loss_bwd(const mfrt_tensor *probs,
                                         const mfrt_tensor *indices,
                                         double coeff,
                                         const mfrt_tensor *dloss,
                                         const mfrt_tensor *dprobs) {
  ArgChecker a("mfrt_aux_loss_bwd");
  if (!checkAux(a, probs, indices, coeff) ||
      !checkIndexRange(a, indices, "indices", lastDim(probs)) ||
      !a.floatScalar(dloss, "dloss") ||
      !a.optFloat(dprobs, "dprobs", Dims::of(probs)))
    return a.status();
  if (!dprobs)
    return MFRT_OK;
  int64_t e = lastDim(probs), t = rows(probs);
  Buffer<double> f(e);
  if (!routedFractions(indices, e, f))
    return outOfMemory(a.fn());
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    double scale = double(*ptr<T>(dloss)) * coeff * double(e) /
                   double(t ? t : 1);
    for (int64_t i = 0; i < t; ++i)
      for (int64_t j = 0; j < e; ++j)
        ptr<T>(dprobs)[i * e + j] = T(scale * f[j]);
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_cross_entropy_fwd(const mfrt_tensor *logits,
                                              const mfrt_tensor *targets,
                                              int64_t num_tokens,
                                              const mfrt_tensor *loss) {
  ArgChecker a("mfrt_cross_entropy_fwd");
  if (!checkCrossEntropy(a, logits, targets) ||
      !checkIndexRange(a, targets, "targets", lastDim(logits)) ||
      !a.floatScalar(loss, "loss"))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t t = rows(logits), v = lastDim(logits);
    int64_t denom = num_tokens > 0 ? num_tokens : t;
    double sum = 0;
    for (int64_t i = 0; i < t; ++i) {
      const T *row = ptr<T>(logits) + i * v;
      sum += logSumExp(row, v) - double(row[ptr<int32_t>(targets)[i]]);
    }
    *ptr<T>(loss) = denom ? T(sum / double(denom)) : T(0);
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_cross_entropy_bwd(const mfrt_tensor *logits,
                                              const mfrt_tensor *targets,
                                              int64_t num_tokens,
                                              const mfrt_tensor *dloss,
                                              const mfrt_tensor *dlogits) {
  ArgChecker a("mfrt_cross_entropy_bwd");
  if (!checkCrossEntropy(a, logits, targets) ||
      !checkIndexRange(a, targets, "targets", lastDim(logits)) ||
      !a.floatScalar(dloss, "dloss") ||
      !a.optFloat(dlogits, "dlogits", Dims::of(logits)))
    return a.status();
  if (!dlogits)
    return MFRT_OK;
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t t = rows(logits), v = lastDim(logits);
    int64_t denom = num_tokens > 0 ? num_tokens : t;
    double scale = denom ? double(*ptr<T>(dloss)) / double(denom) : 0.0;
    for (int64_t i = 0; i < t; ++i) {
      const T *row = ptr<T>(logits) + i * v;
      T *d = ptr<T>(dlogits) + i * v;
      double lse = logSumExp(row, v);
      for (int64_t j = 0; j < v; ++j)
        d[j] = T(scale * std::exp(double(row[j]) - lse));
      d[ptr<int32_t>(targets)[i]] -= T(scale);
    }
    return MFRT_OK;
  });
}

//===----------------------------------------------------------------------===//
// Vocab-parallel cross-entropy (docs/partition.md, "Vocab-parallel
// cross-entropy"): each rank holds logits [..., Vl], the vocabulary columns
// [offset, offset + Vl). Per token, three statistics are reduced over the
// vocabulary group (max, then sum of exp(l - max), then the target's logit,
// zero on every rank but the one holding it); the loss and the gradient are
// computed from them.
//===----------------------------------------------------------------------===//

extern "C" mfrt_status mfrt_vocab_max_fwd(const mfrt_tensor *logits,
                                          const mfrt_tensor *max) {
  ArgChecker a("mfrt_vocab_max_fwd");
  if (!checkVocabStat(a, logits, max, "max"))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t t = rows(logits), v = lastDim(logits);
    for (int64_t i = 0; i < t; ++i) {
      const T *row = ptr<T>(logits) + i * v;
      T m = row[0];
      for (int64_t j = 1; j < v; ++j)
        m = row[j] > m ? row[j] : m;
      ptr<T>(max)[i] = m;
    }
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_vocab_sumexp_fwd(const mfrt_tensor *logits,
                                             const mfrt_tensor *max,
                                             const mfrt_tensor *sumexp) {
  ArgChecker a("mfrt_vocab_sumexp_fwd");
  if (!checkVocabSumexpFwd(a, logits, max, sumexp))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t t = rows(logits), v = lastDim(logits);
    for (int64_t i = 0; i < t; ++i) {
      const T *row = ptr<T>(logits) + i * v;
      double m = ptr<T>(max)[i], s = 0;
      for (int64_t j = 0; j < v; ++j)
        s += std::exp(double(row[j]) - m);
      ptr<T>(sumexp)[i] = T(s);
    }
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_vocab_target_logit_fwd(const mfrt_tensor *logits,
                                                   const mfrt_tensor *targets,
                                                   int64_t offset,
                                                   int64_t vocab,
                                                   const mfrt_tensor *out) {
  ArgChecker a("mfrt_vocab_target_logit_fwd");
  if (!checkVocabTargetLogitFwd(a, logits, targets, offset, vocab, out))
    return a.status();
  int64_t t = rows(logits), v = lastDim(logits);
  const int32_t *tg = ptr<int32_t>(targets);
  for (int64_t i = 0; i < t; ++i)
    if (tg[i] < 0 || tg[i] >= vocab) {
      a.fail("targets: value %d at flat position %lld is outside [0, %lld)",
             tg[i], static_cast<long long>(i), static_cast<long long>(vocab));
      return a.status();
    }
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < t; ++i) {
      int64_t j = int64_t(tg[i]) - offset;
      ptr<T>(out)[i] = j >= 0 && j < v ? ptr<T>(logits)[i * v + j] : T(0);
    }
    return MFRT_OK;
  });
}

extern "C" mfrt_status
mfrt_vocab_cross_entropy_fwd(const mfrt_tensor *max, const mfrt_tensor *sumexp,
                             const mfrt_tensor *target_logit,
                             int64_t num_tokens, const mfrt_tensor *loss) {
  ArgChecker a("mfrt_vocab_cross_entropy_fwd");
  if (!checkVocabCrossEntropyFwd(a, max, sumexp, target_logit, loss))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t t = numel(max);
    int64_t denom = num_tokens > 0 ? num_tokens : t;
    double sum = 0;
    for (int64_t i = 0; i < t; ++i)
      sum += std::log(double(ptr<T>(sumexp)[i])) + double(ptr<T>(max)[i]) -
             double(ptr<T>(target_logit)[i]);
    *ptr<T>(loss) = denom ? T(sum / double(denom)) : T(0);
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_vocab_cross_entropy_bwd(
    const mfrt_tensor *logits, const mfrt_tensor *targets, int64_t offset,
    const mfrt_tensor *max, const mfrt_tensor *sumexp, const mfrt_tensor *dloss,
    int64_t num_tokens, const mfrt_tensor *dlogits) {
  ArgChecker a("mfrt_vocab_cross_entropy_bwd");
  if (!checkVocabCrossEntropyBwd(a, logits, targets, offset, max, sumexp, dloss,
                                 dlogits))
    return a.status();
  if (!dlogits)
    return MFRT_OK;
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t t = rows(logits), v = lastDim(logits);
    int64_t denom = num_tokens > 0 ? num_tokens : t;
    double scale = denom ? double(*ptr<T>(dloss)) / double(denom) : 0.0;
    const int32_t *tg = ptr<int32_t>(targets);
    for (int64_t i = 0; i < t; ++i) {
      const T *row = ptr<T>(logits) + i * v;
      T *d = ptr<T>(dlogits) + i * v;
      double m = ptr<T>(max)[i], s = ptr<T>(sumexp)[i];
      for (int64_t j = 0; j < v; ++j)
        d[j] = T(scale * std::exp(double(row[j]) - m) / s);
      int64_t j = int64_t(tg[i]) - offset;
      if (j >= 0 && j < v)
        d[j] -= T(scale);
    }
    return MFRT_OK;
  });
}
