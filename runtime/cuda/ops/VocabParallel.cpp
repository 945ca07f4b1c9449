//===- VocabParallel.cpp - vocab-parallel cross-entropy on the device ----===//
//
// The per-token statistics (max, sum of exp, target logit) run one thread
// per token row; the loss sums them in one thread in token order; the
// gradient is one thread per element. dloss is read on the device.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "DenseSupport.h"

using namespace mfrt;
using namespace mfrt::gpu;
using namespace mfrt::gpu::dense;

namespace {

template <typename T> void rowMax(const T *logits, T *max, int64_t t, int64_t v) {
  forEachRow(t, [=] MFRT_HD(int64_t r) {
    Acc<T> m = load(logits, r * v);
    for (int64_t j = 1; j < v; ++j) {
      Acc<T> x = load(logits, r * v + j);
      m = x > m ? x : m;
    }
    store(max, r, m);
  });
}

template <typename T>
void rowSumExp(const T *logits, const T *max, T *sumexp, int64_t t,
               int64_t v) {
  forEachRow(t, [=] MFRT_HD(int64_t r) {
    Acc<T> m = load(max, r), s = 0;
    for (int64_t j = 0; j < v; ++j)
      s += expAcc(load(logits, r * v + j) - m);
    store(sumexp, r, s);
  });
}

template <typename T>
void targetLogit(const T *logits, const int32_t *targets, T *out, int64_t t,
                 int64_t v, int64_t offset) {
  forEach(t, [=] MFRT_HD(int64_t r) {
    int64_t j = int64_t(targets[r]) - offset;
    store(out, r, j >= 0 && j < v ? load(logits, r * v + j) : Acc<T>(0));
  });
}

template <typename T>
void vocabLoss(const T *max, const T *sumexp, const T *targetLogit, T *loss,
               int64_t t, int64_t denom) {
  forEach(1, [=] MFRT_HD(int64_t) {
    Acc<T> sum = 0;
    for (int64_t r = 0; r < t; ++r)
      sum += logAcc(load(sumexp, r)) + load(max, r) - load(targetLogit, r);
    store(loss, 0, denom ? sum / Acc<T>(denom) : Acc<T>(0));
  });
}

template <typename T>
void vocabGrad(const T *logits, const int32_t *targets, int64_t offset,
               const T *max, const T *sumexp, const T *dloss, T *dlogits,
               int64_t t, int64_t v, int64_t denom) {
  using A = Acc<T>;
  forEach(t * v, [=] MFRT_HD(int64_t i) {
    int64_t r = i / v, j = i - r * v;
    A scale = denom ? load(dloss, 0) / A(denom) : A(0);
    A d = scale * expAcc(load(logits, i) - load(max, r)) / load(sumexp, r);
    if (int64_t(targets[r]) - offset == j)
      d -= scale;
    store(dlogits, i, d);
  });
}

} // namespace

extern "C" mfrt_status mfrt_cuda_vocab_max_fwd(const mfrt_tensor *logits,
                                               const mfrt_tensor *max) {
  ArgChecker a("mfrt_cuda_vocab_max_fwd");
  a.allowBf16();
  if (!checkVocabStat(a, logits, max, "max"))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    rowMax(ptr<const T>(logits), ptr<T>(max), rows(logits), lastDim(logits));
    return launched(a.fn());
  });
}

extern "C" mfrt_status mfrt_cuda_vocab_sumexp_fwd(const mfrt_tensor *logits,
                                                  const mfrt_tensor *max,
                                                  const mfrt_tensor *sumexp) {
  ArgChecker a("mfrt_cuda_vocab_sumexp_fwd");
  a.allowBf16();
  if (!checkVocabSumexpFwd(a, logits, max, sumexp))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    rowSumExp(ptr<const T>(logits), ptr<const T>(max), ptr<T>(sumexp),
              rows(logits), lastDim(logits));
    return launched(a.fn());
  });
}

extern "C" mfrt_status mfrt_cuda_vocab_target_logit_fwd(
    const mfrt_tensor *logits, const mfrt_tensor *targets, int64_t offset,
    int64_t vocab, const mfrt_tensor *out) {
  ArgChecker a("mfrt_cuda_vocab_target_logit_fwd");
  a.allowBf16();
  if (!checkVocabTargetLogitFwd(a, logits, targets, offset, vocab, out))
    return a.status();
  int64_t t = rows(logits), v = lastDim(logits);
  if (mfrt_status st = ready(a.fn()))
    return st;
  if (!checkIndices(a, targets, vocab, "targets"))
    return a.status();
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    targetLogit(ptr<const T>(logits), ptr<const int32_t>(targets), ptr<T>(out),
                t, v, offset);
    return launched(a.fn());
  });
}

extern "C" mfrt_status mfrt_cuda_vocab_cross_entropy_fwd(
    const mfrt_tensor *max, const mfrt_tensor *sumexp,
    const mfrt_tensor *target_logit, int64_t num_tokens,
    const mfrt_tensor *loss) {
  ArgChecker a("mfrt_cuda_vocab_cross_entropy_fwd");
  a.allowBf16();
  if (!checkVocabCrossEntropyFwd(a, max, sumexp, target_logit, loss))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t t = numel(max);
    vocabLoss(ptr<const T>(max), ptr<const T>(sumexp),
              ptr<const T>(target_logit), ptr<T>(loss), t,
              num_tokens > 0 ? num_tokens : t);
    return launched(a.fn());
  });
}

extern "C" mfrt_status mfrt_cuda_vocab_cross_entropy_bwd(
    const mfrt_tensor *logits, const mfrt_tensor *targets, int64_t offset,
    const mfrt_tensor *max, const mfrt_tensor *sumexp, const mfrt_tensor *dloss,
    int64_t num_tokens, const mfrt_tensor *dlogits) {
  ArgChecker a("mfrt_cuda_vocab_cross_entropy_bwd");
  a.allowBf16();
  if (!checkVocabCrossEntropyBwd(a, logits, targets, offset, max, sumexp, dloss,
                                 dlogits))
    return a.status();
  if (!dlogits)
    return MFRT_OK;
  if (mfrt_status st = ready(a.fn()))
    return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    int64_t t = rows(logits), v = lastDim(logits);
    vocabGrad(ptr<const T>(logits), ptr<const int32_t>(targets), offset,
              ptr<const T>(max), ptr<const T>(sumexp), ptr<const T>(dloss),
              ptr<T>(dlogits), t, v, num_tokens > 0 ? num_tokens : t);
    return launched(a.fn());
  });
}
