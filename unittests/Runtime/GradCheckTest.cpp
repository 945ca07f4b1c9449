//===- GradCheckTest.cpp - every op's VJP vs central finite differences ---===//
//
// fp64, small random shapes. Each case projects the op's outputs on fixed
// random cotangents R (loss = sum R * out), runs the backward with dout = R
// and compares against (loss(p + h) - loss(p - h)) / 2h per element. The
// bound is max|analytic - numeric| / max|numeric| <= 1e-6 per parameter.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_ops.h"

#include "TestUtil.h"

using namespace mfrt_test;
using T = Tensor<double>;

namespace {

constexpr double kTol = 1e-6;

TEST(GradCheck, Embedding) {
  T table = randn<double>({5, 3}, 1);
  Tensor<int32_t> tokens({2, 3}, {4, 0, 2, 2, 1, 4});
  T r = randn<double>({2, 3, 3}, 2), out({2, 3, 3}), dtable({5, 3});
  ASSERT_OK(mfrt_embedding_bwd(&tokens.d, &r.d, &dtable.d));
  // Token 3 is unused: its gradient row must be exactly zero.
  for (int j = 0; j < 3; ++j)
    EXPECT_EQ(dtable[3 * 3 + j], 0.0);
  double err = gradCheck("embedding", {{"table", &table, &dtable}}, [&] {
    EXPECT_OK(mfrt_embedding_fwd(&table.d, &tokens.d, &out.d));
    return dot(r, out);
  });
  EXPECT_LE(err, kTol);
}

TEST(GradCheck, RmsNorm) {
  T x = randn<double>({2, 3, 5}, 3), w = randn<double>({5}, 4);
  T r = randn<double>({2, 3, 5}, 5), out({2, 3, 5}), dx({2, 3, 5}), dw({5});
  ASSERT_OK(mfrt_rms_norm_bwd(&x.d, &w.d, 1e-5, &r.d, &dx.d, &dw.d));
  double err = gradCheck("rms_norm", {{"x", &x, &dx}, {"w", &w, &dw}}, [&] {
    EXPECT_OK(mfrt_rms_norm_fwd(&x.d, &w.d, 1e-5, &out.d));
    return dot(r, out);
  });
  EXPECT_LE(err, kTol);
}

TEST(GradCheck, Linear) {
  T x = randn<double>({2, 3, 4}, 6), w = randn<double>({4, 5}, 7);
  T r = randn<double>({2, 3, 5}, 8), out({2, 3, 5}), dx({2, 3, 4}),
    dw({4, 5});
  ASSERT_OK(mfrt_linear_bwd(&x.d, &w.d, &r.d, &dx.d, &dw.d));
  double err = gradCheck("linear", {{"x", &x, &dx}, {"w", &w, &dw}}, [&] {
    EXPECT_OK(mfrt_linear_fwd(&x.d, &w.d, &out.d));
    return dot(r, out);
  });
  EXPECT_LE(err, kTol);
}

void attentionCase(const char *name, int64_t nq, int64_t nkv, bool causal,
                   double ropeTheta = 0.0, int64_t d = 3) {
  const int64_t b = 2, s = 4;
  T q = randn<double>({b, s, nq * d}, 10), k = randn<double>({b, s, nkv * d}, 11),
    v = randn<double>({b, s, nkv * d}, 12);
  T r = randn<double>({b, s, nq * d}, 13), out({b, s, nq * d});
  T dq({b, s, nq * d}), dk({b, s, nkv * d}), dv({b, s, nkv * d});
  ASSERT_OK(mfrt_attention_bwd(&q.d, &k.d, &v.d, nq, nkv, causal, ropeTheta,
                               &r.d, &dq.d, &dk.d, &dv.d));
  double err =
      gradCheck(name, {{"q", &q, &dq}, {"k", &k, &dk}, {"v", &v, &dv}}, [&] {
        EXPECT_OK(mfrt_attention_fwd(&q.d, &k.d, &v.d, nq, nkv, causal,
                                     ropeTheta, &out.d));
        return dot(r, out);
      });
  EXPECT_LE(err, kTol);
}

TEST(GradCheck, AttentionCausalGqa) {
  attentionCase("attention causal gqa 4q/2kv", 4, 2, true);
}
TEST(GradCheck, AttentionCausalMqa) {
  attentionCase("attention causal mqa 3q/1kv", 3, 1, true);
}
TEST(GradCheck, AttentionFullMha) {
  attentionCase("attention non-causal mha 2q/2kv", 2, 2, false);
}
// Rotary embeddings: theta = 10 turns every pair by a sizeable angle over
// four positions (the lowest frequency of D = 6 is 10^(-4/6) = 0.22 rad per
// position); theta = 1e4 is the usual base.
TEST(GradCheck, AttentionRopeCausalGqa) {
  attentionCase("attention rope causal gqa 4q/2kv theta 10", 4, 2, true, 10.0,
                6);
}
TEST(GradCheck, AttentionRopeFullMha) {
  attentionCase("attention rope non-causal mha 2q/2kv theta 1e4", 2, 2, false,
                1e4, 4);
}
TEST(GradCheck, AttentionRopeCausalMqa) {
  attentionCase("attention rope causal mqa 3q/1kv theta 100", 3, 1, true, 100.0,
                2);
}

void attentionQKNormCase(const char *name, int64_t nq, int64_t nkv,
                         bool causal, double ropeTheta, int64_t d) {
  const int64_t b = 2, s = 4;
  const double eps = 1e-6;
  T q = randn<double>({b, s, nq * d}, 30), k = randn<double>({b, s, nkv * d}, 31),
    v = randn<double>({b, s, nkv * d}, 32);
  T wq = randn<double>({d}, 33), wk = randn<double>({d}, 34);
  T r = randn<double>({b, s, nq * d}, 35), out({b, s, nq * d});
  T dq({b, s, nq * d}), dk({b, s, nkv * d}), dv({b, s, nkv * d}), dwq({d}),
      dwk({d});
  ASSERT_OK(mfrt_attention_qknorm_bwd(&q.d, &k.d, &v.d, &wq.d, &wk.d, nq, nkv,
                                      causal, ropeTheta, eps, &r.d, &dq.d,
                                      &dk.d, &dv.d, &dwq.d, &dwk.d));
  double err = gradCheck(name,
                         {{"q", &q, &dq},
                          {"k", &k, &dk},
                          {"v", &v, &dv},
                          {"q_norm", &wq, &dwq},
                          {"k_norm", &wk, &dwk}},
                         [&] {
                           EXPECT_OK(mfrt_attention_qknorm_fwd(
                               &q.d, &k.d, &v.d, &wq.d, &wk.d, nq, nkv, causal,
                               ropeTheta, eps, &out.d));
                           return dot(r, out);
                         });
  EXPECT_LE(err, kTol);
}

// Qwen3's per-head q/k RMSNorm, with and without rotary embeddings; the
// weight gradients sum over every head, token and batch row.
TEST(GradCheck, AttentionQKNormRopeCausalGqa) {
  attentionQKNormCase("attention qk-norm rope causal gqa 4q/2kv", 4, 2, true,
                      10.0, 6);
}
TEST(GradCheck, AttentionQKNormFullMha) {
  attentionQKNormCase("attention qk-norm non-causal mha 2q/2kv", 2, 2, false,
                      0.0, 4);
}
TEST(GradCheck, AttentionQKNormRopeCausalMqa) {
  attentionQKNormCase("attention qk-norm rope causal mqa 3q/1kv", 3, 1, true,
                      100.0, 2);
}

TEST(GradCheck, AttentionQKNormOptionalOutputs) {
  // Only the weight gradients requested (the others null): the same values
  // as with every output.
  const int64_t b = 1, s = 3, d = 4;
  T q = randn<double>({b, s, 2 * d}, 40), k = randn<double>({b, s, d}, 41),
    v = randn<double>({b, s, d}, 42), wq = randn<double>({d}, 43),
    wk = randn<double>({d}, 44), r = randn<double>({b, s, 2 * d}, 45);
  T dq({b, s, 2 * d}), dk({b, s, d}), dv({b, s, d}), dwq({d}), dwk({d}),
      dwq2({d}), dwk2({d});
  ASSERT_OK(mfrt_attention_qknorm_bwd(&q.d, &k.d, &v.d, &wq.d, &wk.d, 2, 1, 1,
                                      1e4, 1e-6, &r.d, &dq.d, &dk.d, &dv.d,
                                      &dwq.d, &dwk.d));
  ASSERT_OK(mfrt_attention_qknorm_bwd(&q.d, &k.d, &v.d, &wq.d, &wk.d, 2, 1, 1,
                                      1e4, 1e-6, &r.d, nullptr, nullptr,
                                      nullptr, &dwq2.d, &dwk2.d));
  for (int64_t i = 0; i < d; ++i) {
    EXPECT_EQ(dwq[i], dwq2[i]);
    EXPECT_EQ(dwk[i], dwk2[i]);
  }
}

TEST(GradCheck, Swiglu) {
  T g = randn<double>({3, 4}, 20), u = randn<double>({3, 4}, 21);
  T r = randn<double>({3, 4}, 22), out({3, 4}), dg({3, 4}), du({3, 4});
  ASSERT_OK(mfrt_swiglu_bwd(&g.d, &u.d, &r.d, &dg.d, &du.d));
  double err = gradCheck("swiglu", {{"gate", &g, &dg}, {"up", &u, &du}}, [&] {
    EXPECT_OK(mfrt_swiglu_fwd(&g.d, &u.d, &out.d));
    return dot(r, out);
  });
  EXPECT_LE(err, kTol);
}

void routerCase(const char *name, mfrt_router_scoring scoring, bool renorm,
                bool withBias) {
  const int64_t b = 2, s = 3, h = 4, e = 6, k = 2;
  T x = randn<double>({b, s, h}, 30), w = randn<double>({h, e}, 31);
  T bias = randn<double>({e}, 32, 0.2);
  T scores({b, s, k}), probs({b, s, e});
  Tensor<int32_t> idx({b, s, k}), idx2({b, s, k});
  T rs = randn<double>({b, s, k}, 33), rp = randn<double>({b, s, e}, 34);
  T dx({b, s, h}), dw({h, e});
  const mfrt_tensor *biasD = withBias ? &bias.d : nullptr;
  ASSERT_OK(mfrt_router_fwd(&x.d, &w.d, biasD, scoring, k, renorm, &scores.d,
                            &idx.d, &probs.d));
  ASSERT_OK(mfrt_router_bwd(&x.d, &w.d, scoring, renorm, &probs.d, &idx.d,
                            &rs.d, &rp.d, &dx.d, &dw.d));
  double err = gradCheck(name, {{"x", &x, &dx}, {"w", &w, &dw}}, [&] {
    EXPECT_OK(mfrt_router_fwd(&x.d, &w.d, biasD, scoring, k, renorm,
                              &scores.d, &idx2.d, &probs.d));
    // The selection is piecewise constant: a flip would void the check.
    EXPECT_EQ(idx.v, idx2.v) << "selection changed under perturbation";
    return dot(rs, scores) + dot(rp, probs);
  });
  EXPECT_LE(err, kTol);
}

TEST(GradCheck, RouterSoftmax) {
  routerCase("router softmax", MFRT_SCORING_SOFTMAX, false, false);
}
TEST(GradCheck, RouterSoftmaxRenorm) {
  routerCase("router softmax renorm", MFRT_SCORING_SOFTMAX, true, false);
}
TEST(GradCheck, RouterSigmoid) {
  routerCase("router sigmoid", MFRT_SCORING_SIGMOID, false, false);
}
TEST(GradCheck, RouterSigmoidRenormBias) {
  routerCase("router sigmoid renorm bias", MFRT_SCORING_SIGMOID, true, true);
}
TEST(GradCheck, RouterSoftmaxBias) {
  routerCase("router softmax bias", MFRT_SCORING_SOFTMAX, false, true);
}

// Only the scores path (no aux loss): dprobs omitted.
TEST(GradCheck, RouterScoresOnly) {
  const int64_t t = 5, h = 3, e = 4, k = 2;
  T x = randn<double>({t, h}, 35), w = randn<double>({h, e}, 36);
  T scores({t, k}), probs({t, e}), rs = randn<double>({t, k}, 37), dx({t, h}),
                                   dw({h, e});
  Tensor<int32_t> idx({t, k});
  ASSERT_OK(mfrt_router_fwd(&x.d, &w.d, nullptr, MFRT_SCORING_SOFTMAX, k, 1,
                            &scores.d, &idx.d, &probs.d));
  ASSERT_OK(mfrt_router_bwd(&x.d, &w.d, MFRT_SCORING_SOFTMAX, 1, &probs.d,
                            &idx.d, &rs.d, nullptr, &dx.d, &dw.d));
  double err = gradCheck("router scores only", {{"x", &x, &dx}, {"w", &w, &dw}},
                         [&] {
                           EXPECT_OK(mfrt_router_fwd(
                               &x.d, &w.d, nullptr, MFRT_SCORING_SOFTMAX, k, 1,
                               &scores.d, &idx.d, &probs.d));
                           return dot(rs, scores);
                         });
  EXPECT_LE(err, kTol);
}

TEST(GradCheck, Dispatch) {
  const int64_t t = 4, h = 3, k = 2, e = 3;
  T x = randn<double>({2, 2, h}, 40);
  Tensor<int32_t> idx({2, 2, k}, {2, 0, 1, 2, 0, 1, 2, 1});
  T sorted({t * k, h}), r = randn<double>({t * k, h}, 41), dx({2, 2, h});
  Tensor<int32_t> gs({e});
  ASSERT_OK(mfrt_dispatch_bwd(&idx.d, e, &r.d, &dx.d));
  double err = gradCheck("dispatch", {{"x", &x, &dx}}, [&] {
    EXPECT_OK(mfrt_dispatch_fwd(&x.d, &idx.d, e, &sorted.d, &gs.d));
    return dot(r, sorted);
  });
  EXPECT_LE(err, kTol);
}

TEST(GradCheck, Combine) {
  const int64_t h = 3, k = 2, e = 3;
  Tensor<int32_t> idx({2, 2, k}, {2, 0, 1, 2, 0, 1, 2, 1});
  T eo = randn<double>({8, h}, 42), sc = randn<double>({2, 2, k}, 43);
  T r = randn<double>({2, 2, h}, 44), out({2, 2, h}), deo({8, h}),
    dsc({2, 2, k});
  ASSERT_OK(mfrt_combine_bwd(&eo.d, &idx.d, &sc.d, e, &r.d, &deo.d, &dsc.d));
  double err = gradCheck("combine",
                         {{"expert_out", &eo, &deo}, {"scores", &sc, &dsc}},
                         [&] {
                           EXPECT_OK(mfrt_combine_fwd(&eo.d, &idx.d, &sc.d, e,
                                                      &out.d));
                           return dot(r, out);
                         });
  EXPECT_LE(err, kTol);
}

// Scores before the experts: sorted = scores * x, bilinear in both.
TEST(GradCheck, DispatchScaled) {
  const int64_t t = 4, h = 3, k = 2, e = 3;
  T x = randn<double>({2, 2, h}, 45), sc = randn<double>({2, 2, k}, 46);
  Tensor<int32_t> idx({2, 2, k}, {2, 0, 1, 2, 0, 1, 2, 1});
  T sorted({t * k, h}), r = randn<double>({t * k, h}, 47), dx({2, 2, h}),
      dsc({2, 2, k});
  Tensor<int32_t> gs({e});
  ASSERT_OK(mfrt_dispatch_scaled_bwd(&x.d, &idx.d, &sc.d, e, &r.d, &dx.d,
                                     &dsc.d));
  double err =
      gradCheck("dispatch scaled", {{"x", &x, &dx}, {"scores", &sc, &dsc}},
                [&] {
                  EXPECT_OK(mfrt_dispatch_scaled_fwd(&x.d, &idx.d, &sc.d, e,
                                                     &sorted.d, &gs.d));
                  return dot(r, sorted);
                });
  EXPECT_LE(err, kTol);
  // The group sizes are those of the unscaled dispatch.
  Tensor<int32_t> gs0({e});
  T sorted0({t * k, h});
  ASSERT_OK(mfrt_dispatch_fwd(&x.d, &idx.d, e, &sorted0.d, &gs0.d));
  EXPECT_EQ(gs.v, gs0.v);
}

TEST(GradCheck, CombineUnweighted) {
  const int64_t h = 3, k = 2, e = 3;
  Tensor<int32_t> idx({2, 2, k}, {2, 0, 1, 2, 0, 1, 2, 1});
  T eo = randn<double>({8, h}, 48);
  T r = randn<double>({2, 2, h}, 49), out({2, 2, h}), deo({8, h}),
      dsc({2, 2, k});
  ASSERT_OK(
      mfrt_combine_bwd(&eo.d, &idx.d, nullptr, e, &r.d, &deo.d, nullptr));
  // No scores, no score gradient to ask for.
  EXPECT_NE(mfrt_combine_bwd(&eo.d, &idx.d, nullptr, e, &r.d, &deo.d, &dsc.d),
            MFRT_OK);
  double err = gradCheck("combine unweighted", {{"expert_out", &eo, &deo}},
                         [&] {
                           EXPECT_OK(mfrt_combine_fwd(&eo.d, &idx.d, nullptr,
                                                      e, &out.d));
                           return dot(r, out);
                         });
  EXPECT_LE(err, kTol);
}

TEST(GradCheck, Experts) {
  const int64_t e = 3, h = 4, f = 5, n = 7;
  // Expert 1 gets no rows: its weight gradients must be zero, not garbage.
  Tensor<int32_t> gs({e}, {3, 0, 4});
  T x = randn<double>({n, h}, 50), wg = randn<double>({e, h, f}, 51, 0.5),
    wu = randn<double>({e, h, f}, 52, 0.5),
    wd = randn<double>({e, f, h}, 53, 0.5);
  T r = randn<double>({n, h}, 54), out({n, h});
  T dx({n, h}), dwg({e, h, f}), dwu({e, h, f}), dwd({e, f, h});
  for (auto *g : {&dwg, &dwu, &dwd})
    std::fill(g->v.begin(), g->v.end(), 123.0);
  ASSERT_OK(mfrt_experts_bwd(&x.d, &gs.d, &wg.d, &wu.d, &wd.d, &r.d, &dx.d,
                             &dwg.d, &dwu.d, &dwd.d));
  for (int64_t i = 0; i < h * f; ++i) {
    EXPECT_EQ(dwg[h * f + i], 0.0);
    EXPECT_EQ(dwu[h * f + i], 0.0);
    EXPECT_EQ(dwd[f * h + i], 0.0);
  }
  double err = gradCheck("experts",
                         {{"sorted", &x, &dx},
                          {"w_gate", &wg, &dwg},
                          {"w_up", &wu, &dwu},
                          {"w_down", &wd, &dwd}},
                         [&] {
                           EXPECT_OK(mfrt_experts_fwd(&x.d, &gs.d, &wg.d, &wu.d,
                                                      &wd.d, &out.d));
                           return dot(r, out);
                         });
  EXPECT_LE(err, kTol);
}

void sharedExpertCase(const char *name, bool withGate) {
  const int64_t h = 4, f = 6;
  T x = randn<double>({2, 3, h}, 60), wg = randn<double>({h, f}, 61, 0.5),
    wu = randn<double>({h, f}, 62, 0.5), wd = randn<double>({f, h}, 63, 0.5),
    gate = randn<double>({h, 1}, 64);
  T r = randn<double>({2, 3, h}, 65), out({2, 3, h});
  T dx({2, 3, h}), dwg({h, f}), dwu({h, f}), dwd({f, h}), dgate({h, 1});
  const mfrt_tensor *g = withGate ? &gate.d : nullptr;
  ASSERT_OK(mfrt_shared_expert_bwd(&x.d, &wg.d, &wu.d, &wd.d, g, &r.d, &dx.d,
                                   &dwg.d, &dwu.d, &dwd.d,
                                   withGate ? &dgate.d : nullptr));
  std::vector<GradParam> params = {{"x", &x, &dx},
                                   {"w_gate", &wg, &dwg},
                                   {"w_up", &wu, &dwu},
                                   {"w_down", &wd, &dwd}};
  if (withGate)
    params.push_back({"gate", &gate, &dgate});
  double err = gradCheck(name, params, [&] {
    EXPECT_OK(mfrt_shared_expert_fwd(&x.d, &wg.d, &wu.d, &wd.d, g, &out.d));
    return dot(r, out);
  });
  EXPECT_LE(err, kTol);
}

TEST(GradCheck, SharedExpert) { sharedExpertCase("shared_expert", false); }
TEST(GradCheck, SharedExpertGated) {
  sharedExpertCase("shared_expert gated", true);
}

TEST(GradCheck, AuxLoss) {
  const int64_t e = 4;
  T probs = randn<double>({2, 3, e}, 70);
  Tensor<int32_t> idx({2, 3, 2}, {0, 1, 1, 2, 3, 1, 0, 2, 1, 3, 2, 1});
  T loss, dloss(std::vector<int64_t>{}, {1.7}), dprobs({2, 3, e});
  ASSERT_OK(mfrt_aux_loss_bwd(&probs.d, &idx.d, 0.01, &dloss.d, &dprobs.d));
  double err = gradCheck("aux_loss", {{"probs", &probs, &dprobs}}, [&] {
    EXPECT_OK(mfrt_aux_loss_fwd(&probs.d, &idx.d, 0.01, &loss.d));
    return 1.7 * loss[0];
  });
  EXPECT_LE(err, kTol);
}

void crossEntropyCase(const char *name, int64_t numTokens) {
  T logits = randn<double>({2, 3, 7}, 80);
  Tensor<int32_t> tg({2, 3}, {0, 6, 3, 3, 1, 5});
  T loss({1}), dloss({1}, {0.8}), dl({2, 3, 7});
  ASSERT_OK(
      mfrt_cross_entropy_bwd(&logits.d, &tg.d, numTokens, &dloss.d, &dl.d));
  double err = gradCheck(name, {{"logits", &logits, &dl}}, [&] {
    EXPECT_OK(mfrt_cross_entropy_fwd(&logits.d, &tg.d, numTokens, &loss.d));
    return 0.8 * loss[0];
  });
  EXPECT_LE(err, kTol);
}

TEST(GradCheck, CrossEntropy) { crossEntropyCase("cross_entropy", 0); }
TEST(GradCheck, CrossEntropyGlobalCount) {
  crossEntropyCase("cross_entropy num_tokens=24", 24);
}

// Vocab-parallel cross-entropy: the vocabulary of 8 split into shards of
// 3, 3 and 2 columns (unequal, so offsets matter), the three statistics
// reduced over the shards as the partitioned program does (max, then sum,
// then sum), the loss from them. The loss must equal the whole-vocabulary
// kernel's, and each shard's backward (from the reduced statistics) must be
// the finite-difference gradient of the composed loss in that shard's
// columns -- including the cross-shard terms through max and sumexp.
struct VocabShards {
  static constexpr int64_t b = 2, s = 3, v = 8, numTokens = 12;
  std::vector<int64_t> offsets = {0, 3, 6}, widths = {3, 3, 2};
  std::vector<T> logits;
  Tensor<int32_t> tg{{b, s}, {0, 7, 3, 5, 2, 6}};
  T max{{b, s}}, sumexp{{b, s}}, target{{b, s}}, loss{{1}};

  VocabShards() {
    for (size_t k = 0; k < widths.size(); ++k)
      logits.push_back(randn<double>({b, s, widths[k]}, 200 + k));
  }
  /// The whole [b, s, v] logits, concatenated from the shards.
  T whole() const {
    T w({b, s, v});
    for (int64_t t = 0; t < b * s; ++t)
      for (size_t k = 0; k < widths.size(); ++k)
        for (int64_t j = 0; j < widths[k]; ++j)
          w[t * v + offsets[k] + j] = logits[k][t * widths[k] + j];
    return w;
  }
  /// Per-shard statistics reduced over the shards (what the all_reduces do).
  double forward() {
    T part({b, s});
    for (size_t k = 0; k < widths.size(); ++k) {
      EXPECT_OK(mfrt_vocab_max_fwd(&logits[k].d, &part.d));
      for (int64_t t = 0; t < b * s; ++t)
        max[t] = k == 0 ? part[t] : std::max(max[t], part[t]);
    }
    for (size_t k = 0; k < widths.size(); ++k) {
      EXPECT_OK(mfrt_vocab_sumexp_fwd(&logits[k].d, &max.d, &part.d));
      for (int64_t t = 0; t < b * s; ++t)
        sumexp[t] = (k == 0 ? 0.0 : sumexp[t]) + part[t];
    }
    for (size_t k = 0; k < widths.size(); ++k) {
      EXPECT_OK(mfrt_vocab_target_logit_fwd(&logits[k].d, &tg.d, offsets[k], v,
                                            &part.d));
      for (int64_t t = 0; t < b * s; ++t)
        target[t] = (k == 0 ? 0.0 : target[t]) + part[t];
    }
    EXPECT_OK(mfrt_vocab_cross_entropy_fwd(&max.d, &sumexp.d, &target.d,
                                           numTokens, &loss.d));
    return loss[0];
  }
};

TEST(GradCheck, VocabParallelCrossEntropy) {
  VocabShards x;
  double got = x.forward();
  T whole = x.whole(), ref({1});
  ASSERT_OK(mfrt_cross_entropy_fwd(&whole.d, &x.tg.d, x.numTokens, &ref.d));
  EXPECT_NEAR(got, ref[0], 1e-12 * std::fabs(ref[0]));

  T dloss({1}, {0.8});
  std::vector<T> grads;
  for (size_t k = 0; k < x.widths.size(); ++k) {
    grads.emplace_back(std::vector<int64_t>{x.b, x.s, x.widths[k]});
    ASSERT_OK(mfrt_vocab_cross_entropy_bwd(&x.logits[k].d, &x.tg.d,
                                           x.offsets[k], &x.max.d,
                                           &x.sumexp.d, &dloss.d, x.numTokens,
                                           &grads[k].d));
  }
  // The shards' gradients are the columns of the whole-vocabulary one.
  T dwhole({x.b, x.s, x.v});
  ASSERT_OK(mfrt_cross_entropy_bwd(&whole.d, &x.tg.d, x.numTokens, &dloss.d,
                                   &dwhole.d));
  for (int64_t t = 0; t < x.b * x.s; ++t)
    for (size_t k = 0; k < x.widths.size(); ++k)
      for (int64_t j = 0; j < x.widths[k]; ++j)
        EXPECT_NEAR(grads[k][t * x.widths[k] + j],
                    dwhole[t * x.v + x.offsets[k] + j], 1e-14);
  double err = gradCheck("vocab_cross_entropy",
                         {{"shard0", &x.logits[0], &grads[0]},
                          {"shard1", &x.logits[1], &grads[1]},
                          {"shard2", &x.logits[2], &grads[2]}},
                         [&] { return 0.8 * x.forward(); });
  EXPECT_LE(err, kTol);
}

// The target logit is zero on every shard but the one holding the target.
TEST(GradCheck, VocabTargetLogitOutsideShard) {
  T logits = randn<double>({1, 2, 3}, 210), out({1, 2});
  Tensor<int32_t> tg({1, 2}, {2, 5});
  ASSERT_OK(mfrt_vocab_target_logit_fwd(&logits.d, &tg.d, 3, 6, &out.d));
  EXPECT_EQ(out[0], 0.0);
  EXPECT_EQ(out[1], logits[3 + 2]);
}

TEST(GradCheck, Add) {
  T a = randn<double>({3, 2}, 90), b = randn<double>({3, 2}, 91);
  T r = randn<double>({3, 2}, 92), out({3, 2}), da({3, 2}), db({3, 2});
  ASSERT_OK(mfrt_add_bwd(&r.d, &da.d, &db.d));
  double err = gradCheck("add", {{"a", &a, &da}, {"b", &b, &db}}, [&] {
    EXPECT_OK(mfrt_add_fwd(&a.d, &b.d, &out.d));
    return dot(r, out);
  });
  EXPECT_LE(err, kTol);
}

// The whole MoE block: router -> dispatch -> experts -> combine, plus the
// aux loss on the router probabilities. x reaches the loss through both the
// router and the dispatched rows; the two contributions are summed.
/// `scoreFirst`: the scores scale the dispatched copies (Llama-4) and the
/// combine sums unweighted.
void moeChainCase(const char *name, mfrt_router_scoring scoring, bool renorm,
                  bool scoreFirst = false) {
  const int64_t b = 2, s = 3, h = 4, e = 4, k = 2, f = 3, t = b * s;
  const double coeff = 0.1;
  T x = randn<double>({b, s, h}, 100), wr = randn<double>({h, e}, 101),
    bias = randn<double>({e}, 102, 0.1), wg = randn<double>({e, h, f}, 103, 0.5),
    wu = randn<double>({e, h, f}, 104, 0.5),
    wd = randn<double>({e, f, h}, 105, 0.5);
  T r = randn<double>({b, s, h}, 106);
  T scores({b, s, k}), probs({b, s, e}), sorted({t * k, h}),
      eo({t * k, h}), y({b, s, h}), aux;
  Tensor<int32_t> idx({b, s, k}), idx0({b, s, k}), gs({e});
  auto forward = [&] {
    EXPECT_OK(mfrt_router_fwd(&x.d, &wr.d, &bias.d, scoring, k, renorm,
                              &scores.d, &idx.d, &probs.d));
    if (scoreFirst)
      EXPECT_OK(mfrt_dispatch_scaled_fwd(&x.d, &idx.d, &scores.d, e,
                                         &sorted.d, &gs.d));
    else
      EXPECT_OK(mfrt_dispatch_fwd(&x.d, &idx.d, e, &sorted.d, &gs.d));
    EXPECT_OK(
        mfrt_experts_fwd(&sorted.d, &gs.d, &wg.d, &wu.d, &wd.d, &eo.d));
    EXPECT_OK(mfrt_combine_fwd(&eo.d, &idx.d, scoreFirst ? nullptr : &scores.d,
                               e, &y.d));
    EXPECT_OK(mfrt_aux_loss_fwd(&probs.d, &idx.d, coeff, &aux.d));
    return dot(r, y) + aux[0];
  };
  forward();
  idx0 = idx;
  // Backward, in reverse order.
  T deo({t * k, h}), dscores({b, s, k}), dsorted({t * k, h}), dwg({e, h, f}),
      dwu({e, h, f}), dwd({e, f, h}), dx1({b, s, h}), dprobs({b, s, e}),
      dx2({b, s, h}), dwr({h, e}), one(std::vector<int64_t>{}, {1.0});
  ASSERT_OK(mfrt_combine_bwd(&eo.d, &idx.d, scoreFirst ? nullptr : &scores.d,
                             e, &r.d, &deo.d, scoreFirst ? nullptr : &dscores.d));
  ASSERT_OK(mfrt_experts_bwd(&sorted.d, &gs.d, &wg.d, &wu.d, &wd.d, &deo.d,
                             &dsorted.d, &dwg.d, &dwu.d, &dwd.d));
  if (scoreFirst)
    ASSERT_OK(mfrt_dispatch_scaled_bwd(&x.d, &idx.d, &scores.d, e, &dsorted.d,
                                       &dx1.d, &dscores.d));
  else
    ASSERT_OK(mfrt_dispatch_bwd(&idx.d, e, &dsorted.d, &dx1.d));
  ASSERT_OK(mfrt_aux_loss_bwd(&probs.d, &idx.d, coeff, &one.d, &dprobs.d));
  ASSERT_OK(mfrt_router_bwd(&x.d, &wr.d, scoring, renorm, &probs.d, &idx.d,
                            &dscores.d, &dprobs.d, &dx2.d, &dwr.d));
  T dx({b, s, h});
  ASSERT_OK(mfrt_add_fwd(&dx1.d, &dx2.d, &dx.d));
  double err = gradCheck(name,
                         {{"x", &x, &dx},
                          {"w_router", &wr, &dwr},
                          {"w_gate", &wg, &dwg},
                          {"w_up", &wu, &dwu},
                          {"w_down", &wd, &dwd}},
                         [&] {
                           double l = forward();
                           EXPECT_EQ(idx.v, idx0.v) << "selection changed";
                           return l;
                         });
  EXPECT_LE(err, kTol);
}

TEST(GradCheck, MoeChainSoftmaxRenorm) {
  moeChainCase("moe chain softmax renorm", MFRT_SCORING_SOFTMAX, true);
}
TEST(GradCheck, MoeChainSigmoid) {
  moeChainCase("moe chain sigmoid", MFRT_SCORING_SIGMOID, false);
}
TEST(GradCheck, MoeChainScoreFirstSoftmaxRenorm) {
  moeChainCase("moe chain score-first softmax renorm", MFRT_SCORING_SOFTMAX,
               true, /*scoreFirst=*/true);
}
TEST(GradCheck, MoeChainScoreFirstSigmoid) {
  moeChainCase("moe chain score-first sigmoid", MFRT_SCORING_SIGMOID, false,
               /*scoreFirst=*/true);
}

} // namespace
