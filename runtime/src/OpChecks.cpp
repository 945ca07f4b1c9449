//===- OpChecks.cpp - argument checks shared by the compute backends ------===//

#include "OpChecks.h"

#include <cmath>
#include <cstdio>
#include <cstring>

namespace mfrt {

bool checkIndexRange(ArgChecker &a, const mfrt_tensor *t, const char *name,
                     int64_t bound) {
  const int32_t *idx = ptr<int32_t>(t);
  int64_t n = numel(t);
  for (int64_t i = 0; i < n; ++i)
    if (idx[i] < 0 || idx[i] >= bound)
      return a.fail("%s: value %d at flat position %lld is outside [0, %lld)",
                    name, idx[i], static_cast<long long>(i),
                    static_cast<long long>(bound));
  return true;
}

//===--- attention --------------------------------------------------------===//

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

bool checkQKNorm(ArgChecker &a, const mfrt_tensor *qNorm,
                 const mfrt_tensor *kNorm, double eps, const AttnShape &sh) {
  if (!a.floatTensor(qNorm, "q_norm") || !a.shape(qNorm, "q_norm", {sh.d}) ||
      !a.floatTensor(kNorm, "k_norm") || !a.shape(kNorm, "k_norm", {sh.d}))
    return false;
  if (!(eps > 0) || !std::isfinite(eps))
    return a.fail("epsilon must be positive and finite, got %g", eps);
  return true;
}

//===--- dense ------------------------------------------------------------===//

bool checkRmsNorm(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *w,
                  double eps) {
  if (!a.floatTensor(x, "x") || !a.rankAtLeast(x, "x", 1) ||
      !a.floatTensor(w, "w") || !a.shape(w, "w", {lastDim(x)}))
    return false;
  if (!(eps >= 0) || !std::isfinite(eps))
    return a.fail("eps: expected a finite value >= 0, got %g", eps);
  return true;
}

//===--- routing ----------------------------------------------------------===//

bool checkNumExperts(ArgChecker &a, int64_t e) {
  if (e <= 0 || e > INT32_MAX)
    return a.fail("num_experts: expected a positive count, got %lld",
                  static_cast<long long>(e));
  return true;
}

int rawScoring(const mfrt_router_scoring &scoring) {
  int raw;
  static_assert(sizeof(raw) == sizeof(scoring), "enum is int-sized");
  std::memcpy(&raw, &scoring, sizeof(raw));
  return raw;
}

bool checkRouterCommon(ArgChecker &a, const mfrt_tensor *x,
                       const mfrt_tensor *w, int scoring) {
  if (!a.floatTensor(x, "x") || !a.rankAtLeast(x, "x", 1) ||
      !a.floatTensor(w, "w") || !a.shape(w, "w", {lastDim(x), -1}))
    return false;
  if (w->shape[1] <= 0)
    return a.fail("w: expected at least one expert column");
  if (scoring != MFRT_SCORING_SOFTMAX && scoring != MFRT_SCORING_SIGMOID)
    return a.fail("scoring: unknown scoring function %d", scoring);
  return true;
}

bool checkCombine(ArgChecker &a, const mfrt_tensor *expertOut,
                  const mfrt_tensor *indices, const mfrt_tensor *scores,
                  int64_t numExperts, IndexCheck checkIndices) {
  return a.floatTensor(expertOut, "expert_out") &&
         a.indexTensor(indices, "indices") &&
         a.rankAtLeast(indices, "indices", 1) &&
         a.shape(expertOut, "expert_out", {numel(indices), -1}) &&
         (!scores || (a.floatTensor(scores, "scores") &&
                      a.shape(scores, "scores", Dims::of(indices)))) &&
         checkNumExperts(a, numExperts) &&
         checkIndices(a, indices, numExperts);
}

bool checkDispatchFwd(ArgChecker &a, const mfrt_tensor *x,
                      const mfrt_tensor *indices, bool scaled,
                      const mfrt_tensor *scores, int64_t numExperts,
                      const mfrt_tensor *sorted, const mfrt_tensor *groupSizes,
                      IndexCheck checkIndices) {
  return a.floatTensor(x, "x") && a.rankAtLeast(x, "x", 1) &&
         a.indexTensor(indices, "indices") &&
         a.shape(indices, "indices", Dims::of(x).withLast(-1)) &&
         (!scaled || (a.floatTensor(scores, "scores") &&
                      a.shape(scores, "scores", Dims::of(indices)))) &&
         checkNumExperts(a, numExperts) &&
         checkIndices(a, indices, numExperts) &&
         a.floatTensor(sorted, "sorted") &&
         a.shape(sorted, "sorted", {numel(indices), lastDim(x)}) &&
         a.indexTensor(groupSizes, "group_sizes") &&
         a.shape(groupSizes, "group_sizes", {numExperts});
}

bool checkDispatchBwd(ArgChecker &a, const mfrt_tensor *indices,
                      int64_t numExperts, const mfrt_tensor *dsorted,
                      const mfrt_tensor *dx, IndexCheck checkIndices) {
  return a.indexTensor(indices, "indices") &&
         a.rankAtLeast(indices, "indices", 1) &&
         checkNumExperts(a, numExperts) &&
         checkIndices(a, indices, numExperts) &&
         a.floatTensor(dsorted, "dsorted") &&
         a.shape(dsorted, "dsorted", {numel(indices), -1}) &&
         a.optFloat(dx, "dx", Dims::of(indices).withLast(dsorted->shape[1]));
}

bool checkDispatchScaledBwd(ArgChecker &a, const mfrt_tensor *x,
                            const mfrt_tensor *indices,
                            const mfrt_tensor *scores, int64_t numExperts,
                            const mfrt_tensor *dsorted, const mfrt_tensor *dx,
                            const mfrt_tensor *dscores,
                            IndexCheck checkIndices) {
  return a.floatTensor(x, "x") && a.rankAtLeast(x, "x", 1) &&
         a.indexTensor(indices, "indices") &&
         a.shape(indices, "indices", Dims::of(x).withLast(-1)) &&
         a.floatTensor(scores, "scores") &&
         a.shape(scores, "scores", Dims::of(indices)) &&
         checkNumExperts(a, numExperts) &&
         checkIndices(a, indices, numExperts) &&
         a.floatTensor(dsorted, "dsorted") &&
         a.shape(dsorted, "dsorted", {numel(indices), lastDim(x)}) &&
         a.optFloat(dx, "dx", Dims::of(x)) &&
         a.optFloat(dscores, "dscores", Dims::of(scores));
}

bool checkDispatchRows(ArgChecker &a, const mfrt_tensor *indices,
                       int64_t numExperts, const mfrt_tensor *rowsOut,
                       IndexCheck checkIndices) {
  return a.indexTensor(indices, "indices") && checkNumExperts(a, numExperts) &&
         checkIndices(a, indices, numExperts) &&
         a.indexTensor(rowsOut, "rows") &&
         a.shape(rowsOut, "rows", Dims::of(indices));
}

//===--- experts ----------------------------------------------------------===//

bool checkExpertShapes(ArgChecker &a, const mfrt_tensor *sorted,
                       const mfrt_tensor *groupSizes, const mfrt_tensor *wg,
                       const mfrt_tensor *wu, const mfrt_tensor *wd,
                       ExpertDims &dims) {
  if (!a.floatTensor(sorted, "sorted") ||
      !a.shape(sorted, "sorted", {-1, -1}) ||
      !a.indexTensor(groupSizes, "group_sizes") ||
      !a.shape(groupSizes, "group_sizes", {-1}) ||
      !a.floatTensor(wg, "w_gate"))
    return false;
  dims.g = groupSizes->shape[0];
  dims.h = sorted->shape[1];
  dims.n = sorted->shape[0];
  if (!a.shape(wg, "w_gate", {-1, dims.h, -1}))
    return false;
  dims.e = wg->shape[0];
  if (dims.e == 0 || dims.g % dims.e != 0)
    return a.fail("group_sizes: %lld groups is not a multiple of the %lld "
                  "experts of w_gate",
                  static_cast<long long>(dims.g),
                  static_cast<long long>(dims.e));
  dims.f = wg->shape[2];
  return a.floatTensor(wu, "w_up") &&
         a.shape(wu, "w_up", {dims.e, dims.h, dims.f}) &&
         a.floatTensor(wd, "w_down") &&
         a.shape(wd, "w_down", {dims.e, dims.f, dims.h});
}

bool checkGroupSizes(ArgChecker &a, const int32_t *sizes,
                     const ExpertDims &dims, int64_t &total) {
  total = 0;
  for (int64_t i = 0; i < dims.g; ++i) {
    if (sizes[i] < 0)
      return a.fail("group_sizes: negative size %d for group %lld", sizes[i],
                    static_cast<long long>(i));
    total += sizes[i];
  }
  if (total > dims.n)
    return a.fail("group_sizes: sizes sum to %lld but sorted has %lld rows",
                  static_cast<long long>(total),
                  static_cast<long long>(dims.n));
  return true;
}

bool checkShared(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *wg,
                 const mfrt_tensor *wu, const mfrt_tensor *wd,
                 const mfrt_tensor *gate) {
  if (!a.floatTensor(x, "x") || !a.rankAtLeast(x, "x", 1) ||
      !a.floatTensor(wg, "w_gate") ||
      !a.shape(wg, "w_gate", {lastDim(x), -1}))
    return false;
  int64_t h = lastDim(x), f = wg->shape[1];
  return a.floatTensor(wu, "w_up") && a.shape(wu, "w_up", {h, f}) &&
         a.floatTensor(wd, "w_down") && a.shape(wd, "w_down", {f, h}) &&
         (!gate || (a.floatTensor(gate, "gate") &&
                    a.shape(gate, "gate", {h, 1})));
}

//===--- losses -----------------------------------------------------------===//

bool checkAux(ArgChecker &a, const mfrt_tensor *probs,
              const mfrt_tensor *indices, double coeff) {
  if (!a.floatTensor(probs, "probs") || !a.rankAtLeast(probs, "probs", 1) ||
      !a.indexTensor(indices, "indices") ||
      !a.shape(indices, "indices", Dims::of(probs).withLast(-1)))
    return false;
  if (!std::isfinite(coeff))
    return a.fail("coeff: expected a finite value, got %g", coeff);
  return true;
}

bool checkCrossEntropy(ArgChecker &a, const mfrt_tensor *logits,
                       const mfrt_tensor *targets) {
  return a.floatTensor(logits, "logits") &&
         a.rankAtLeast(logits, "logits", 1) &&
         a.indexTensor(targets, "targets") &&
         a.shape(targets, "targets", Dims::of(logits).dropLast());
}

bool checkVocabStat(ArgChecker &a, const mfrt_tensor *logits,
                    const mfrt_tensor *stat, const char *statName) {
  if (!a.floatTensor(logits, "logits") ||
      !a.rankAtLeast(logits, "logits", 1) ||
      !a.floatTensor(stat, statName) ||
      !a.shape(stat, statName, Dims::of(logits).dropLast()))
    return false;
  if (lastDim(logits) == 0)
    return a.fail("logits: the vocabulary shard is empty");
  return true;
}

//===--- entry points -----------------------------------------------------===//

bool checkAddFwd(ArgChecker &a, const mfrt_tensor *a_, const mfrt_tensor *b,
                 const mfrt_tensor *out) {
  return a.floatTensor(a_, "a") &&
         a.floatTensor(b, "b") &&
         a.shape(b, "b", Dims::of(a_)) &&
         a.floatTensor(out, "out") &&
         a.shape(out, "out", Dims::of(a_));
}

bool checkAddBwd(ArgChecker &a, const mfrt_tensor *dout, const mfrt_tensor *da,
                 const mfrt_tensor *db) {
  return a.floatTensor(dout, "dout") &&
         a.optFloat(da, "da", Dims::of(dout)) &&
         a.optFloat(db, "db", Dims::of(dout));
}

bool checkCombineBwd(ArgChecker &a, const mfrt_tensor *expert_out,
                     const mfrt_tensor *indices, const mfrt_tensor *scores,
                     int64_t num_experts, const mfrt_tensor *dout,
                     const mfrt_tensor *dexpert_out,
                     const mfrt_tensor *dscores, IndexCheck checkIndices) {
  return checkCombine(a, expert_out, indices, scores, num_experts,
                      checkIndices) &&
         a.floatTensor(dout, "dout") &&
         a.shape(dout, "dout",
                 Dims::of(indices).withLast(expert_out->shape[1])) &&
         a.optFloat(dexpert_out, "dexpert_out", Dims::of(expert_out)) &&
         (!scores || a.optFloat(dscores, "dscores", Dims::of(scores))) &&
         (scores || !dscores ||
          a.fail("dscores requested without scores (an unweighted combine)"));
}

bool checkPeerCounts(ArgChecker &a, const mfrt_tensor *counts, int64_t peers,
                     const mfrt_tensor *out) {
  if (!a.indexTensor(counts, "counts") || !a.shape(counts, "counts", {-1}) ||
      !a.indexTensor(out, "out") || !a.shape(out, "out", {peers}))
    return false;
  int64_t n = counts->shape[0];
  if (peers < 1 || n % peers != 0)
    return a.fail("peers = %lld does not divide the %lld counts",
                  static_cast<long long>(peers), static_cast<long long>(n));
  return true;
}

bool checkLinearFwd(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *w,
                    const mfrt_tensor *out) {
  return a.floatTensor(x, "x") &&
         a.rankAtLeast(x, "x", 1) &&
         a.floatTensor(w, "w") &&
         a.shape(w, "w", {lastDim(x), -1}) &&
         a.floatTensor(out, "out") &&
         a.shape(out, "out", Dims::of(x).withLast(w->shape[1]));
}

bool checkLinearBwd(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *w,
                    const mfrt_tensor *dout, const mfrt_tensor *dx,
                    const mfrt_tensor *dw) {
  return a.floatTensor(x, "x") &&
         a.rankAtLeast(x, "x", 1) &&
         a.floatTensor(w, "w") &&
         a.shape(w, "w", {lastDim(x), -1}) &&
         a.floatTensor(dout, "dout") &&
         a.shape(dout, "dout", Dims::of(x).withLast(w->shape[1])) &&
         a.optFloat(dx, "dx", Dims::of(x)) &&
         a.optFloat(dw, "dw", Dims::of(w));
}

bool checkSgdStep(ArgChecker &a, const mfrt_tensor *param,
                  const mfrt_tensor *grad, const mfrt_tensor *new_param) {
  return a.floatTensor(param, "param") &&
         a.floatTensor(grad, "grad") &&
         a.shape(grad, "grad", Dims::of(param)) &&
         a.floatTensor(new_param, "new_param") &&
         a.shape(new_param, "new_param", Dims::of(param));
}

bool checkAdamwStep(ArgChecker &a, const mfrt_tensor *param,
                    const mfrt_tensor *grad, const mfrt_tensor *m,
                    const mfrt_tensor *v, const mfrt_tensor *new_param,
                    const mfrt_tensor *new_m, const mfrt_tensor *new_v) {
  if (!a.floatTensor(param, "param"))
    return false;
  Dims d = Dims::of(param);
  return a.floatTensor(grad, "grad") &&
         a.shape(grad, "grad", d) &&
         a.floatTensor(m, "m") &&
         a.shape(m, "m", d) &&
         a.floatTensor(v, "v") &&
         a.shape(v, "v", d) &&
         a.floatTensor(new_param, "new_param") &&
         a.shape(new_param, "new_param", d) &&
         a.floatTensor(new_m, "new_m") &&
         a.shape(new_m, "new_m", d) &&
         a.floatTensor(new_v, "new_v") &&
         a.shape(new_v, "new_v", d);
}

bool checkRmsNormFwd(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *w,
                     double eps, const mfrt_tensor *out) {
  return checkRmsNorm(a, x, w, eps) &&
         a.floatTensor(out, "out") &&
         a.shape(out, "out", Dims::of(x));
}

bool checkRmsNormBwd(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *w,
                     double eps, const mfrt_tensor *dout,
                     const mfrt_tensor *dx, const mfrt_tensor *dw) {
  return checkRmsNorm(a, x, w, eps) &&
         a.floatTensor(dout, "dout") &&
         a.shape(dout, "dout", Dims::of(x)) &&
         a.optFloat(dx, "dx", Dims::of(x)) &&
         a.optFloat(dw, "dw", Dims::of(w));
}

bool checkRouterBwd(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *w,
                    int scoring, const mfrt_tensor *probs,
                    const mfrt_tensor *indices,
                    const mfrt_tensor *dscores, const mfrt_tensor *dprobs,
                    const mfrt_tensor *dx, const mfrt_tensor *dw,
                    IndexCheck checkIndices) {
  if (!checkRouterCommon(a, x, w, scoring))
    return false;
  int64_t e = w->shape[1];
  return a.floatTensor(probs, "probs") &&
         a.shape(probs, "probs", Dims::of(x).withLast(e)) &&
         a.indexTensor(indices, "indices") &&
         a.shape(indices, "indices", Dims::of(x).withLast(-1)) &&
         checkIndices(a, indices, e) &&
         a.floatTensor(dscores, "dscores") &&
         a.shape(dscores, "dscores", Dims::of(indices)) &&
         a.optFloat(dprobs, "dprobs", Dims::of(probs)) &&
         a.optFloat(dx, "dx", Dims::of(x)) &&
         a.optFloat(dw, "dw", Dims::of(w));
}

bool checkSharedExpertFwd(ArgChecker &a, const mfrt_tensor *x,
                          const mfrt_tensor *w_gate, const mfrt_tensor *w_up,
                          const mfrt_tensor *w_down, const mfrt_tensor *gate,
                          const mfrt_tensor *out) {
  return checkShared(a, x, w_gate, w_up, w_down, gate) &&
         a.floatTensor(out, "out") &&
         a.shape(out, "out", Dims::of(x));
}

bool checkSharedExpertBwd(ArgChecker &a, const mfrt_tensor *x,
                          const mfrt_tensor *w_gate, const mfrt_tensor *w_up,
                          const mfrt_tensor *w_down, const mfrt_tensor *gate,
                          const mfrt_tensor *dout, const mfrt_tensor *dx,
                          const mfrt_tensor *dw_gate, const mfrt_tensor *dw_up,
                          const mfrt_tensor *dw_down,
                          const mfrt_tensor *dgate) {
  return checkShared(a, x, w_gate, w_up, w_down, gate) &&
         a.floatTensor(dout, "dout") &&
         a.shape(dout, "dout", Dims::of(x)) &&
         a.optFloat(dx, "dx", Dims::of(x)) &&
         a.optFloat(dw_gate, "dw_gate", Dims::of(w_gate)) &&
         a.optFloat(dw_up, "dw_up", Dims::of(w_up)) &&
         a.optFloat(dw_down, "dw_down", Dims::of(w_down)) &&
         (!dgate || gate ||
          a.fail("dgate: given but the shared expert has no gate")) &&
         (!gate || a.optFloat(dgate, "dgate", Dims::of(gate)));
}

bool checkSwigluFwd(ArgChecker &a, const mfrt_tensor *gate,
                    const mfrt_tensor *up, const mfrt_tensor *out) {
  return a.floatTensor(gate, "gate") &&
         a.floatTensor(up, "up") &&
         a.shape(up, "up", Dims::of(gate)) &&
         a.floatTensor(out, "out") &&
         a.shape(out, "out", Dims::of(gate));
}

bool checkSwigluBwd(ArgChecker &a, const mfrt_tensor *gate,
                    const mfrt_tensor *up, const mfrt_tensor *dout,
                    const mfrt_tensor *dgate, const mfrt_tensor *dup) {
  return a.floatTensor(gate, "gate") &&
         a.floatTensor(up, "up") &&
         a.shape(up, "up", Dims::of(gate)) &&
         a.floatTensor(dout, "dout") &&
         a.shape(dout, "dout", Dims::of(gate)) &&
         a.optFloat(dgate, "dgate", Dims::of(gate)) &&
         a.optFloat(dup, "dup", Dims::of(gate));
}

bool checkVocabSumexpFwd(ArgChecker &a, const mfrt_tensor *logits,
                         const mfrt_tensor *max, const mfrt_tensor *sumexp) {
  return checkVocabStat(a, logits, max, "max") &&
         checkVocabStat(a, logits, sumexp, "sumexp");
}

bool checkVocabTargetLogitFwd(ArgChecker &a, const mfrt_tensor *logits,
                              const mfrt_tensor *targets, int64_t offset,
                              int64_t vocab, const mfrt_tensor *out) {
  if (!checkVocabStat(a, logits, out, "out") ||
      !a.indexTensor(targets, "targets") ||
      !a.shape(targets, "targets", Dims::of(logits).dropLast()))
    return false;
  int64_t v = lastDim(logits);
  if (offset < 0 || offset + v > vocab)
    return a.fail("the shard [%lld, %lld) is not inside the vocabulary "
                  "[0, %lld)",
                  static_cast<long long>(offset),
                  static_cast<long long>(offset + v),
                  static_cast<long long>(vocab));
  return true;
}

bool checkVocabCrossEntropyFwd(ArgChecker &a, const mfrt_tensor *max,
                               const mfrt_tensor *sumexp,
                               const mfrt_tensor *target_logit,
                               const mfrt_tensor *loss) {
  return a.floatTensor(max, "max") &&
         a.floatTensor(sumexp, "sumexp") &&
         a.shape(sumexp, "sumexp", Dims::of(max)) &&
         a.floatTensor(target_logit, "target_logit") &&
         a.shape(target_logit, "target_logit", Dims::of(max)) &&
         a.floatScalar(loss, "loss");
}

bool checkVocabCrossEntropyBwd(ArgChecker &a, const mfrt_tensor *logits,
                               const mfrt_tensor *targets, int64_t offset,
                               const mfrt_tensor *max,
                               const mfrt_tensor *sumexp,
                               const mfrt_tensor *dloss,
                               const mfrt_tensor *dlogits) {
  return checkVocabStat(a, logits, max, "max") &&
         checkVocabStat(a, logits, sumexp, "sumexp") &&
         a.indexTensor(targets, "targets") &&
         a.shape(targets, "targets", Dims::of(logits).dropLast()) &&
         a.floatScalar(dloss, "dloss") &&
         a.optFloat(dlogits, "dlogits", Dims::of(logits)) &&
         (offset >= 0 ||
          a.fail("offset: expected a non-negative vocabulary offset, got %lld",
                 static_cast<long long>(offset)));
}

bool checkAttentionFwd(ArgChecker &a, const mfrt_tensor *q,
                       const mfrt_tensor *k, const mfrt_tensor *v,
                       int64_t num_heads, int64_t num_kv_heads,
                       double rope_theta, const mfrt_tensor *out,
                       AttnShape &sh) {
  return checkAttention(a, q, k, v, num_heads, num_kv_heads, sh) &&
         checkRope(a, rope_theta, sh) && a.floatTensor(out, "out") &&
         a.shape(out, "out", Dims::of(q));
}

bool checkAttentionBwd(ArgChecker &a, const mfrt_tensor *q,
                       const mfrt_tensor *k, const mfrt_tensor *v,
                       int64_t num_heads, int64_t num_kv_heads,
                       double rope_theta, const mfrt_tensor *dout,
                       const mfrt_tensor *dq, const mfrt_tensor *dk,
                       const mfrt_tensor *dv, AttnShape &sh) {
  return checkAttention(a, q, k, v, num_heads, num_kv_heads, sh) &&
         checkRope(a, rope_theta, sh) && a.floatTensor(dout, "dout") &&
         a.shape(dout, "dout", Dims::of(q)) &&
         a.optFloat(dq, "dq", Dims::of(q)) &&
         a.optFloat(dk, "dk", Dims::of(k)) && a.optFloat(dv, "dv", Dims::of(v));
}

bool checkAttentionQKNormFwd(ArgChecker &a, const mfrt_tensor *q,
                             const mfrt_tensor *k, const mfrt_tensor *v,
                             const mfrt_tensor *q_norm,
                             const mfrt_tensor *k_norm, int64_t num_heads,
                             int64_t num_kv_heads, double rope_theta,
                             double epsilon, const mfrt_tensor *out,
                             AttnShape &sh) {
  return checkAttention(a, q, k, v, num_heads, num_kv_heads, sh) &&
         checkRope(a, rope_theta, sh) &&
         checkQKNorm(a, q_norm, k_norm, epsilon, sh) &&
         a.floatTensor(out, "out") && a.shape(out, "out", Dims::of(q));
}

bool checkAttentionQKNormBwd(ArgChecker &a, const mfrt_tensor *q,
                             const mfrt_tensor *k, const mfrt_tensor *v,
                             const mfrt_tensor *q_norm,
                             const mfrt_tensor *k_norm, int64_t num_heads,
                             int64_t num_kv_heads, double rope_theta,
                             double epsilon, const mfrt_tensor *dout,
                             const mfrt_tensor *dq, const mfrt_tensor *dk,
                             const mfrt_tensor *dv, const mfrt_tensor *dq_norm,
                             const mfrt_tensor *dk_norm, AttnShape &sh) {
  return checkAttention(a, q, k, v, num_heads, num_kv_heads, sh) &&
         checkRope(a, rope_theta, sh) &&
         checkQKNorm(a, q_norm, k_norm, epsilon, sh) &&
         a.floatTensor(dout, "dout") && a.shape(dout, "dout", Dims::of(q)) &&
         a.optFloat(dq, "dq", Dims::of(q)) &&
         a.optFloat(dk, "dk", Dims::of(k)) &&
         a.optFloat(dv, "dv", Dims::of(v)) &&
         a.optFloat(dq_norm, "dq_norm", Dims::of(q_norm)) &&
         a.optFloat(dk_norm, "dk_norm", Dims::of(k_norm));
}

bool checkCombineFwd(ArgChecker &a, const mfrt_tensor *expert_out,
                     const mfrt_tensor *indices, const mfrt_tensor *scores,
                     int64_t num_experts, const mfrt_tensor *out,
                     IndexCheck checkIndices) {
  return checkCombine(a, expert_out, indices, scores, num_experts,
                      checkIndices) &&
         a.floatTensor(out, "out") &&
         a.shape(out, "out", Dims::of(indices).withLast(expert_out->shape[1]));
}

bool checkRouterFwd(ArgChecker &a, const mfrt_tensor *x, const mfrt_tensor *w,
                    const mfrt_tensor *bias, int scoring, int64_t top_k,
                    const mfrt_tensor *scores, const mfrt_tensor *indices,
                    const mfrt_tensor *probs) {
  if (!checkRouterCommon(a, x, w, scoring))
    return false;
  int64_t e = w->shape[1];
  if (top_k < 1 || top_k > e)
    return a.fail("top_k: expected a value in [1, %lld], got %lld",
                  static_cast<long long>(e), static_cast<long long>(top_k));
  return (!bias || (a.floatTensor(bias, "bias") &&
                    a.shape(bias, "bias", {e}))) &&
         a.floatTensor(scores, "scores") &&
         a.shape(scores, "scores", Dims::of(x).withLast(top_k)) &&
         a.indexTensor(indices, "indices") &&
         a.shape(indices, "indices", Dims::of(x).withLast(top_k)) &&
         a.floatTensor(probs, "probs") &&
         a.shape(probs, "probs", Dims::of(x).withLast(e));
}

bool checkSumSquares(ArgChecker &a, const mfrt_tensor *g, const double *acc) {
  return a.floatTensor(g, "g") && (acc || a.fail("NULL acc"));
}

bool checkGlobalNorm(ArgChecker &a, const mfrt_tensor *const *grads,
                     int64_t count, const mfrt_tensor *out) {
  if (count < 0 || (count > 0 && !grads))
    return a.fail("bad gradient list (count %lld)",
                  static_cast<long long>(count));
  char name[32];
  for (int64_t i = 0; i < count; ++i) {
    std::snprintf(name, sizeof(name), "grads[%lld]", static_cast<long long>(i));
    if (!a.floatTensor(grads[i], name))
      return false;
  }
  return a.floatScalar(out, "out");
}

mfrt_status clipScale(const char *fn, double norm, double max_norm,
                      double *scale, int32_t *apply) {
  if (!scale || !apply)
    return setError(MFRT_ERROR_INVALID_ARGUMENT, "%s: NULL %s", fn,
                    scale ? "apply" : "scale");
  if (std::isnan(max_norm))
    return setError(MFRT_ERROR_INVALID_ARGUMENT, "%s: max_norm is NaN", fn);
  *apply = std::isfinite(norm) ? 1 : 0;
  *scale = 1.0;
  if (*apply && max_norm > 0) {
    double s = max_norm / (norm + 1e-6);
    *scale = s < 1.0 ? s : 1.0;
  }
  return MFRT_OK;
}

} // namespace mfrt
