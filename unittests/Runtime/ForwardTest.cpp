//===- ForwardTest.cpp - op forwards vs hand-computed examples ------------===//
//
// Every expected number below is derived by hand in the comment next to it,
// not produced by the code under test. The second half checks that the f32
// and f64 kernels agree on random inputs.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_ops.h"

#include "TestUtil.h"

#include <cmath>

using namespace mfrt_test;
using T = Tensor<double>;
using I = Tensor<int32_t>;

namespace {

constexpr double kEps = 1e-6;

TEST(Forward, Embedding) {
  // V=3, H=2: rows r0=(1,2), r1=(3,4), r2=(5,6). tokens [[2,0]] ->
  // [[(5,6),(1,2)]].
  T table({3, 2}, {1, 2, 3, 4, 5, 6}), out({1, 2, 2});
  I tokens({1, 2}, {2, 0});
  ASSERT_OK(mfrt_embedding_fwd(&table.d, &tokens.d, &out.d));
  EXPECT_EQ(out.v, (std::vector<double>{5, 6, 1, 2}));
}

TEST(Forward, RmsNorm) {
  // x=(3,4), w=(1,2), eps=0: mean(x^2)=(9+16)/2=12.5, rms=sqrt(12.5)=3.5355339
  // out=(3/3.5355339*1, 4/3.5355339*2)=(0.8485281, 2.2627417).
  T x({1, 2}, {3, 4}), w({2}, {1, 2}), out({1, 2});
  ASSERT_OK(mfrt_rms_norm_fwd(&x.d, &w.d, 0.0, &out.d));
  EXPECT_NEAR(out[0], 0.8485281, kEps);
  EXPECT_NEAR(out[1], 2.2627417, kEps);
  // eps=3.5: mean+eps=16, rms=4: out=(0.75, 2).
  ASSERT_OK(mfrt_rms_norm_fwd(&x.d, &w.d, 3.5, &out.d));
  EXPECT_NEAR(out[0], 0.75, kEps);
  EXPECT_NEAR(out[1], 2.0, kEps);
}

TEST(Forward, Linear) {
  // [1 2] @ [[1 2 3],[4 5 6]] = [1+8, 2+10, 3+12] = [9, 12, 15];
  // [0 1] @ w = [4 5 6].
  T x({2, 2}, {1, 2, 0, 1}), w({2, 3}, {1, 2, 3, 4, 5, 6}), out({2, 3});
  ASSERT_OK(mfrt_linear_fwd(&x.d, &w.d, &out.d));
  EXPECT_EQ(out.v, (std::vector<double>{9, 12, 15, 4, 5, 6}));
}

TEST(Forward, Swiglu) {
  // silu(0)=0; silu(1)=1/(1+e^-1)=0.7310586, *2 = 1.4621172;
  // silu(-1)=-1*0.2689414=-0.2689414, *1.
  T g({3}, {0, 1, -1}), u({3}, {5, 2, 1}), out({3});
  ASSERT_OK(mfrt_swiglu_fwd(&g.d, &u.d, &out.d));
  EXPECT_NEAR(out[0], 0.0, kEps);
  EXPECT_NEAR(out[1], 1.4621172, kEps);
  EXPECT_NEAR(out[2], -0.2689414, kEps);
}

TEST(Forward, AttentionCausalAndFull) {
  // B=1, S=2, one head, D=1 (scale 1). q=(1,1), k=(0, ln 3), v=(4, 8).
  // Causal: position 0 sees only key 0 -> 4. Position 1: logits (0, ln 3),
  // softmax (1/4, 3/4) -> 1 + 6 = 7. Full: position 0 also (1/4, 3/4) -> 7.
  T q({1, 2, 1}, {1, 1}), k({1, 2, 1}, {0, std::log(3.0)}),
      v({1, 2, 1}, {4, 8}), out({1, 2, 1});
  ASSERT_OK(mfrt_attention_fwd(&q.d, &k.d, &v.d, 1, 1, 1, 0.0, &out.d));
  EXPECT_NEAR(out[0], 4.0, kEps);
  EXPECT_NEAR(out[1], 7.0, kEps);
  ASSERT_OK(mfrt_attention_fwd(&q.d, &k.d, &v.d, 1, 1, 0, 0.0, &out.d));
  EXPECT_NEAR(out[0], 7.0, kEps);
  EXPECT_NEAR(out[1], 7.0, kEps);
}

TEST(Forward, AttentionGqaSharesKvHead) {
  // Two query heads, one kv head, D=1. Head 0 query 1 -> as above (4, 7).
  // Head 1 query 0 -> uniform weights: position 0 -> 4, position 1 ->
  // (4+8)/2 = 6. Layout [B,S,Nq*D]: (s0h0, s0h1, s1h0, s1h1).
  T q({1, 2, 2}, {1, 0, 1, 0}), k({1, 2, 1}, {0, std::log(3.0)}),
      v({1, 2, 1}, {4, 8}), out({1, 2, 2});
  ASSERT_OK(mfrt_attention_fwd(&q.d, &k.d, &v.d, 2, 1, 1, 0.0, &out.d));
  EXPECT_NEAR(out[0], 4.0, kEps);
  EXPECT_NEAR(out[1], 4.0, kEps);
  EXPECT_NEAR(out[2], 7.0, kEps);
  EXPECT_NEAR(out[3], 6.0, kEps);
}

TEST(Forward, AttentionRopeOnePair) {
  // D = 2: one pair (x0, x1) with frequency theta^0 = 1, so position p turns
  // it by p radians whatever theta is. Causal, B = 1, S = 2, one head.
  // q1 = (1, 0) at p = 1 -> q1' = (cos 1, sin 1).
  // k0 = c (cos 1, sin 1) at p = 0 stays; k1 = (0, 1) -> k1' = (-sin 1, cos 1).
  // q1'.k0' = c, q1'.k1' = 0; scale 1/sqrt(2). With c = sqrt(2) ln 3 the
  // logits are (ln 3, 0), softmax (3/4, 1/4), out1 = 3/4 v0 + 1/4 v1
  // = (3 + 2, 0) = (5, 0). Position 0 sees only key 0: out0 = v0 = (4, 0).
  // (Without the rotation the logits would be (ln 3 cos 1, 0).)
  const double c = std::sqrt(2.0) * std::log(3.0);
  T q({1, 2, 2}, {7, -3, 1, 0}),
      k({1, 2, 2}, {c * std::cos(1.0), c * std::sin(1.0), 0, 1}),
      v({1, 2, 2}, {4, 0, 8, 0}), out({1, 2, 2});
  ASSERT_OK(mfrt_attention_fwd(&q.d, &k.d, &v.d, 1, 1, 1, 1e4, &out.d));
  EXPECT_NEAR(out[0], 4.0, kEps);
  EXPECT_NEAR(out[1], 0.0, kEps);
  EXPECT_NEAR(out[2], 5.0, kEps);
  EXPECT_NEAR(out[3], 0.0, kEps);
}

TEST(Forward, AttentionQKNormPerHead) {
  // D = 2, one head, B = 1, S = 2, causal, no rotation, epsilon 1e-12.
  // q1 = (30, 40): rms = 50/sqrt(2), normalised (3, 4) sqrt(2)/5, times
  // q_norm (a, 0) -> (3 sqrt(2) a / 5, 0); the scale of q drops out.
  // k0 = (1, 1), k1 = (-1, -1): rms 1, times k_norm (1, 1) -> +-(1, 1).
  // Logits (scale 1/sqrt(2)): +-3a/5; a = 5 ln 3 / 6 makes them
  // +-ln(3)/2, softmax (3/4, 1/4), out1 = 3/4 v0 + 1/4 v1 = (5, 0).
  // Position 0 sees only key 0: out0 = v0 = (4, 0).
  const double a = 5.0 * std::log(3.0) / 6.0;
  T q({1, 2, 2}, {7, -3, 30, 40}), k({1, 2, 2}, {1, 1, -1, -1}),
      v({1, 2, 2}, {4, 0, 8, 0}), wq({2}, {a, 0}), wk({2}, {1, 1}),
      out({1, 2, 2});
  ASSERT_OK(mfrt_attention_qknorm_fwd(&q.d, &k.d, &v.d, &wq.d, &wk.d, 1, 1, 1,
                                      0.0, 1e-12, &out.d));
  EXPECT_NEAR(out[0], 4.0, kEps);
  EXPECT_NEAR(out[1], 0.0, kEps);
  EXPECT_NEAR(out[2], 5.0, kEps);
  EXPECT_NEAR(out[3], 0.0, kEps);
}

TEST(Forward, AttentionQKNormRejectsBadWeights) {
  // The weights are [D] (here D = 2), not [Nq*D]; epsilon must be positive.
  T q({1, 2, 4}), wBad({4}), w({2}), out({1, 2, 4});
  EXPECT_NE(mfrt_attention_qknorm_fwd(&q.d, &q.d, &q.d, &wBad.d, &w.d, 2, 2, 1,
                                      0.0, 1e-6, &out.d),
            MFRT_OK);
  EXPECT_NE(mfrt_attention_qknorm_fwd(&q.d, &q.d, &q.d, &w.d, &w.d, 2, 2, 1,
                                      0.0, 0.0, &out.d),
            MFRT_OK);
  EXPECT_OK(mfrt_attention_qknorm_fwd(&q.d, &q.d, &q.d, &w.d, &w.d, 2, 2, 1,
                                      0.0, 1e-6, &out.d));
}

TEST(Forward, AttentionRopeHalfSplitPairsAndFrequency) {
  // D = 4, theta = 100: half-split pairs are (x0, x2) with frequency
  // 100^0 = 1 and (x1, x3) with frequency 100^(-2/4) = 0.1 (an interleaved
  // layout would pair x1 with x0 instead). Only the second pair is used.
  // q1 = (0, 1, 0, 0) at p = 1 -> q1' = (0, cos 0.1, 0, sin 0.1).
  // k0 = c (0, cos 0.1, 0, sin 0.1) at p = 0 stays; k1 = 0.
  // q1'.k0 = c, q1'.k1' = 0; scale 1/sqrt(4) = 1/2; c = 2 ln 3 gives
  // logits (ln 3, 0) -> out1 = 3/4 v0 + 1/4 v1 = (3 + 2, 0, 0, 0).
  const double c = 2.0 * std::log(3.0);
  T q({1, 2, 4}, {0, 0, 0, 0, 0, 1, 0, 0}),
      k({1, 2, 4}, {0, c * std::cos(0.1), 0, c * std::sin(0.1), 0, 0, 0, 0}),
      v({1, 2, 4}, {4, 0, 0, 0, 8, 0, 0, 0}), out({1, 2, 4});
  ASSERT_OK(mfrt_attention_fwd(&q.d, &k.d, &v.d, 1, 1, 1, 100.0, &out.d));
  EXPECT_NEAR(out[4], 5.0, kEps);
  EXPECT_NEAR(out[5], 0.0, kEps);
  // The same with two query heads sharing the kv head (GQA): head 1 is a
  // copy of head 0, so it gets the same (5, 0, 0, 0).
  T q2({1, 2, 8}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0}),
      out2({1, 2, 8});
  ASSERT_OK(mfrt_attention_fwd(&q2.d, &k.d, &v.d, 2, 1, 1, 100.0, &out2.d));
  EXPECT_NEAR(out2[8], 5.0, kEps);
  EXPECT_NEAR(out2[12], 5.0, kEps);
}

struct RouterOut {
  T scores, probs;
  I indices;
};

RouterOut runRouter(const T &w, const T *bias, mfrt_router_scoring scoring,
                    int64_t k, bool renorm) {
  // One token, H=1, x=1: logits = w's single row.
  T x({1, 1, 1}, {1});
  int64_t e = w.shape[1];
  RouterOut r{T({1, 1, k}), T({1, 1, e}), I({1, 1, k})};
  EXPECT_OK(mfrt_router_fwd(&x.d, &w.d, bias ? &bias->d : nullptr, scoring, k,
                            renorm, &r.scores.d, &r.indices.d, &r.probs.d));
  return r;
}

TEST(Forward, RouterSoftmaxTopK) {
  // logits (0, ln2, ln3, ln4): exp = (1,2,3,4)/10 -> probs (.1,.2,.3,.4).
  // top-2: experts (3, 2) with scores (.4, .3); renormalised (4/7, 3/7).
  T w({1, 4}, {0, std::log(2.0), std::log(3.0), std::log(4.0)});
  RouterOut r = runRouter(w, nullptr, MFRT_SCORING_SOFTMAX, 2, false);
  EXPECT_NEAR(r.probs[0], 0.1, kEps);
  EXPECT_NEAR(r.probs[3], 0.4, kEps);
  EXPECT_EQ(r.indices.v, (std::vector<int32_t>{3, 2}));
  EXPECT_NEAR(r.scores[0], 0.4, kEps);
  EXPECT_NEAR(r.scores[1], 0.3, kEps);
  r = runRouter(w, nullptr, MFRT_SCORING_SOFTMAX, 2, true);
  EXPECT_NEAR(r.scores[0], 4.0 / 7.0, kEps);
  EXPECT_NEAR(r.scores[1], 3.0 / 7.0, kEps);
}

TEST(Forward, RouterBiasAffectsSelectionOnly) {
  // Same probs (.1,.2,.3,.4); bias (.5,0,0,0) -> selection values
  // (.6,.2,.3,.4): experts (0, 3); scores are the unbiased probs (.1, .4),
  // renormalised (.2, .8).
  T w({1, 4}, {0, std::log(2.0), std::log(3.0), std::log(4.0)});
  T bias({4}, {0.5, 0, 0, 0});
  RouterOut r = runRouter(w, &bias, MFRT_SCORING_SOFTMAX, 2, false);
  EXPECT_EQ(r.indices.v, (std::vector<int32_t>{0, 3}));
  EXPECT_NEAR(r.scores[0], 0.1, kEps);
  EXPECT_NEAR(r.scores[1], 0.4, kEps);
  EXPECT_NEAR(r.probs[0], 0.1, kEps);
  r = runRouter(w, &bias, MFRT_SCORING_SOFTMAX, 2, true);
  EXPECT_NEAR(r.scores[0], 0.2, kEps);
  EXPECT_NEAR(r.scores[1], 0.8, kEps);
}

TEST(Forward, RouterTiesGoToLowerExpert) {
  // All logits 0: softmax 1/4 each, sigmoid 1/2 each; ties -> experts (0, 1).
  T w({1, 4}, {0, 0, 0, 0});
  RouterOut r = runRouter(w, nullptr, MFRT_SCORING_SOFTMAX, 2, false);
  EXPECT_EQ(r.indices.v, (std::vector<int32_t>{0, 1}));
  EXPECT_NEAR(r.scores[0], 0.25, kEps);
  r = runRouter(w, nullptr, MFRT_SCORING_SIGMOID, 3, false);
  EXPECT_EQ(r.indices.v, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_NEAR(r.scores[2], 0.5, kEps);
  // Renormalised sigmoid: three equal scores -> 1/3 each.
  r = runRouter(w, nullptr, MFRT_SCORING_SIGMOID, 3, true);
  EXPECT_NEAR(r.scores[1], 1.0 / 3.0, kEps);
}

TEST(Forward, RouterSigmoid) {
  // logits (0, ln 3, -ln 3): sigmoid = (1/2, 3/4, 1/4). top-1: expert 1, .75.
  T w({1, 3}, {0, std::log(3.0), -std::log(3.0)});
  RouterOut r = runRouter(w, nullptr, MFRT_SCORING_SIGMOID, 1, false);
  EXPECT_NEAR(r.probs[0], 0.5, kEps);
  EXPECT_NEAR(r.probs[1], 0.75, kEps);
  EXPECT_NEAR(r.probs[2], 0.25, kEps);
  EXPECT_EQ(r.indices[0], 1);
  EXPECT_NEAR(r.scores[0], 0.75, kEps);
}

// T=3 tokens, K=2, E=3, indices [[2,0],[0,1],[2,1]]. Copies by expert in
// (token, k) order: e0: (t0,k1), (t1,k0); e1: (t1,k1), (t2,k1);
// e2: (t0,k0), (t2,k0). So row(t,k): (0,0)->4 (0,1)->0 (1,0)->1 (1,1)->2
// (2,0)->5 (2,1)->3, group sizes (2,2,2).
const std::vector<int32_t> kIdx = {2, 0, 0, 1, 2, 1};

TEST(Forward, DispatchOrdersByExpertStably) {
  // x = (10, 20, 30) with H=1: sorted = (x0, x1, x1, x2, x0, x2).
  T x({3, 1}, {10, 20, 30}), sorted({6, 1});
  I idx({3, 2}, kIdx), gs({3}), rows({3, 2});
  ASSERT_OK(mfrt_dispatch_fwd(&x.d, &idx.d, 3, &sorted.d, &gs.d));
  EXPECT_EQ(sorted.v, (std::vector<double>{10, 20, 20, 30, 10, 30}));
  EXPECT_EQ(gs.v, (std::vector<int32_t>{2, 2, 2}));
  ASSERT_OK(mfrt_dispatch_rows(&idx.d, 3, &rows.d));
  EXPECT_EQ(rows.v, (std::vector<int32_t>{4, 0, 1, 2, 5, 3}));
}

TEST(Forward, DispatchEmptyExpert) {
  // Expert 1 of 3 unused: group sizes (2, 0, 1).
  T x({3, 1}, {1, 2, 3}), sorted({3, 1});
  I idx({3, 1}, {2, 0, 0}), gs({3});
  ASSERT_OK(mfrt_dispatch_fwd(&x.d, &idx.d, 3, &sorted.d, &gs.d));
  EXPECT_EQ(gs.v, (std::vector<int32_t>{2, 0, 1}));
  EXPECT_EQ(sorted.v, (std::vector<double>{2, 3, 1}));
}

TEST(Forward, CombineInvertsDispatch) {
  // expert_out rows (1..6), scores [[.5,.5],[.25,.75],[1,0]]:
  // t0 = .5*row4 + .5*row0 = .5*5 + .5*1 = 3
  // t1 = .25*row1 + .75*row2 = .5 + 2.25 = 2.75
  // t2 = 1*row5 + 0*row3 = 6.
  T eo({6, 1}, {1, 2, 3, 4, 5, 6}), sc({3, 2}, {.5, .5, .25, .75, 1, 0}),
      out({3, 1});
  I idx({3, 2}, kIdx);
  ASSERT_OK(mfrt_combine_fwd(&eo.d, &idx.d, &sc.d, 3, &out.d));
  EXPECT_NEAR(out[0], 3.0, kEps);
  EXPECT_NEAR(out[1], 2.75, kEps);
  EXPECT_NEAR(out[2], 6.0, kEps);
}

TEST(Forward, Experts) {
  // E=2, H=F=1, one row each, x=1. Expert 0: wg=1, wu=1, wd=1 ->
  // silu(1)*1*1 = 0.7310586. Expert 1: wg=2, wu=1, wd=3 ->
  // silu(2)*3 = 2*sigmoid(2)*3 = 2*0.8807971*3 = 5.2847824.
  T x({2, 1}, {1, 1}), wg({2, 1, 1}, {1, 2}), wu({2, 1, 1}, {1, 1}),
      wd({2, 1, 1}, {1, 3}), out({2, 1});
  I gs({2}, {1, 1});
  ASSERT_OK(mfrt_experts_fwd(&x.d, &gs.d, &wg.d, &wu.d, &wd.d, &out.d));
  EXPECT_NEAR(out[0], 0.7310586, kEps);
  EXPECT_NEAR(out[1], 5.2847824, kEps);
}

TEST(Forward, SharedExpertGate) {
  // H=F=1, x=1, all weights 1: y = silu(1) = 0.7310586. gate=0 -> sigmoid(0)
  // = 1/2 -> 0.3655293. No gate -> y.
  T x({1, 1}, {1}), one({1, 1}, {1}), gate({1, 1}, {0}), out({1, 1});
  ASSERT_OK(mfrt_shared_expert_fwd(&x.d, &one.d, &one.d, &one.d, &gate.d,
                                   &out.d));
  EXPECT_NEAR(out[0], 0.3655293, kEps);
  ASSERT_OK(
      mfrt_shared_expert_fwd(&x.d, &one.d, &one.d, &one.d, nullptr, &out.d));
  EXPECT_NEAR(out[0], 0.7310586, kEps);
}

TEST(Forward, AuxLoss) {
  // T=2, E=2, K=1, probs [[.7,.3],[.4,.6]].
  // indices (0, 1): f=(.5,.5), P=(.55,.45): sum f P = .5; loss = .01*2*.5
  // = .01. indices (0, 0): f=(1,0): sum = .55; loss = .01*2*.55 = .011.
  T probs({2, 2}, {.7, .3, .4, .6}), loss;
  I idx({2, 1}, {0, 1});
  ASSERT_OK(mfrt_aux_loss_fwd(&probs.d, &idx.d, 0.01, &loss.d));
  EXPECT_NEAR(loss[0], 0.01, 1e-12);
  I idx2({2, 1}, {0, 0});
  ASSERT_OK(mfrt_aux_loss_fwd(&probs.d, &idx2.d, 0.01, &loss.d));
  EXPECT_NEAR(loss[0], 0.011, 1e-12);
  // Gradient by hand: dprobs[t,e] = coeff*E*f_e/T = .01*2*(1,0)/2 = (.01, 0).
  T dloss(std::vector<int64_t>{}, {1}), dprobs({2, 2});
  ASSERT_OK(mfrt_aux_loss_bwd(&probs.d, &idx2.d, 0.01, &dloss.d, &dprobs.d));
  EXPECT_NEAR(dprobs[0], 0.01, 1e-12);
  EXPECT_NEAR(dprobs[1], 0.0, 1e-12);
  EXPECT_NEAR(dprobs[2], 0.01, 1e-12);
}

TEST(Forward, CrossEntropy) {
  // Token 0: logits (0,0), target 0: -log(1/2) = ln 2 = 0.6931472.
  // Token 1: logits (ln 3, 0), target 1: softmax (3/4, 1/4): ln 4 = 1.3862944.
  // Mean over T=2: 1.0397208; over a global count of 4: 0.5198604.
  T logits({2, 2}, {0, 0, std::log(3.0), 0}), loss({1});
  I tg({2}, {0, 1});
  ASSERT_OK(mfrt_cross_entropy_fwd(&logits.d, &tg.d, 0, &loss.d));
  EXPECT_NEAR(loss[0], 1.0397208, kEps);
  ASSERT_OK(mfrt_cross_entropy_fwd(&logits.d, &tg.d, 4, &loss.d));
  EXPECT_NEAR(loss[0], 0.5198604, kEps);
  // dlogits of token 1 (dloss=1, N=2): (softmax - onehot)/2 = (3/8, -3/8).
  T dloss({1}, {1}), dl({2, 2});
  ASSERT_OK(mfrt_cross_entropy_bwd(&logits.d, &tg.d, 0, &dloss.d, &dl.d));
  EXPECT_NEAR(dl[2], 0.375, kEps);
  EXPECT_NEAR(dl[3], -0.375, kEps);
}

TEST(Forward, CrossEntropyIsStableForLargeLogits) {
  // logits (1000, 0), target 0: loss = log(1 + e^-1000) ~ 0, not NaN/inf.
  T logits({1, 2}, {1000, 0}), loss({1});
  I tg({1}, {0});
  ASSERT_OK(mfrt_cross_entropy_fwd(&logits.d, &tg.d, 0, &loss.d));
  EXPECT_NEAR(loss[0], 0.0, 1e-12);
}

TEST(Forward, AddInPlace) {
  T a({2}, {1, 2}), b({2}, {10, 20});
  ASSERT_OK(mfrt_add_fwd(&a.d, &b.d, &a.d));
  EXPECT_EQ(a.v, (std::vector<double>{11, 22}));
}

//===--- f32 vs f64 -------------------------------------------------------===//

template <typename A, typename B>
double maxRelDiff(const Tensor<A> &a, const Tensor<B> &b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num = std::max(num, std::fabs(double(a[i]) - double(b[i])));
    den = std::max(den, std::fabs(double(b[i])));
  }
  return num / std::max(den, 1e-30);
}

constexpr double kF32Tol = 1e-5;

TEST(Precision, DenseOpsAgree) {
  T x = randn<double>({2, 5, 8}, 1), w = randn<double>({8, 6}, 2),
    nw = randn<double>({8}, 3), out({2, 5, 6}), nout({2, 5, 8});
  auto xf = cast<float>(x), wf = cast<float>(w), nwf = cast<float>(nw);
  Tensor<float> outf({2, 5, 6}), noutf({2, 5, 8});
  ASSERT_OK(mfrt_linear_fwd(&x.d, &w.d, &out.d));
  ASSERT_OK(mfrt_linear_fwd(&xf.d, &wf.d, &outf.d));
  EXPECT_LE(maxRelDiff(outf, out), kF32Tol);
  ASSERT_OK(mfrt_rms_norm_fwd(&x.d, &nw.d, 1e-6, &nout.d));
  ASSERT_OK(mfrt_rms_norm_fwd(&xf.d, &nwf.d, 1e-6, &noutf.d));
  EXPECT_LE(maxRelDiff(noutf, nout), kF32Tol);
  T up = randn<double>({2, 5, 8}, 4);
  auto upf = cast<float>(up);
  ASSERT_OK(mfrt_swiglu_fwd(&x.d, &up.d, &nout.d));
  ASSERT_OK(mfrt_swiglu_fwd(&xf.d, &upf.d, &noutf.d));
  EXPECT_LE(maxRelDiff(noutf, nout), kF32Tol);
}

TEST(Precision, AttentionAgrees) {
  T q = randn<double>({2, 6, 8}, 5), k = randn<double>({2, 6, 4}, 6),
    v = randn<double>({2, 6, 4}, 7), out({2, 6, 8});
  auto qf = cast<float>(q), kf = cast<float>(k), vf = cast<float>(v);
  Tensor<float> outf({2, 6, 8});
  ASSERT_OK(mfrt_attention_fwd(&q.d, &k.d, &v.d, 4, 2, 1, 0.0, &out.d));
  ASSERT_OK(mfrt_attention_fwd(&qf.d, &kf.d, &vf.d, 4, 2, 1, 0.0, &outf.d));
  EXPECT_LE(maxRelDiff(outf, out), kF32Tol);
  ASSERT_OK(mfrt_attention_fwd(&q.d, &k.d, &v.d, 4, 2, 1, 1e4, &out.d));
  ASSERT_OK(mfrt_attention_fwd(&qf.d, &kf.d, &vf.d, 4, 2, 1, 1e4, &outf.d));
  EXPECT_LE(maxRelDiff(outf, out), kF32Tol);
}

TEST(Precision, MoeBlockAgrees) {
  const int64_t t = 12, h = 8, e = 4, k = 2, f = 6;
  T x = randn<double>({t, h}, 8), wr = randn<double>({h, e}, 9),
    wg = randn<double>({e, h, f}, 10), wu = randn<double>({e, h, f}, 11),
    wd = randn<double>({e, f, h}, 12);
  auto xf = cast<float>(x), wrf = cast<float>(wr), wgf = cast<float>(wg),
       wuf = cast<float>(wu), wdf = cast<float>(wd);
  T sc({t, k}), pr({t, e}), so({t * k, h}), eo({t * k, h}), y({t, h});
  Tensor<float> scf({t, k}), prf({t, e}), sof({t * k, h}), eof({t * k, h}),
      yf({t, h});
  I idx({t, k}), idxf({t, k}), gs({e}), gsf({e});
  ASSERT_OK(mfrt_router_fwd(&x.d, &wr.d, nullptr, MFRT_SCORING_SOFTMAX, k, 1,
                            &sc.d, &idx.d, &pr.d));
  ASSERT_OK(mfrt_router_fwd(&xf.d, &wrf.d, nullptr, MFRT_SCORING_SOFTMAX, k,
                            1, &scf.d, &idxf.d, &prf.d));
  ASSERT_EQ(idx.v, idxf.v);
  EXPECT_LE(maxRelDiff(scf, sc), kF32Tol);
  EXPECT_LE(maxRelDiff(prf, pr), kF32Tol);
  ASSERT_OK(mfrt_dispatch_fwd(&x.d, &idx.d, e, &so.d, &gs.d));
  ASSERT_OK(mfrt_dispatch_fwd(&xf.d, &idxf.d, e, &sof.d, &gsf.d));
  ASSERT_OK(mfrt_experts_fwd(&so.d, &gs.d, &wg.d, &wu.d, &wd.d, &eo.d));
  ASSERT_OK(mfrt_experts_fwd(&sof.d, &gsf.d, &wgf.d, &wuf.d, &wdf.d, &eof.d));
  EXPECT_LE(maxRelDiff(eof, eo), kF32Tol);
  ASSERT_OK(mfrt_combine_fwd(&eo.d, &idx.d, &sc.d, e, &y.d));
  ASSERT_OK(mfrt_combine_fwd(&eof.d, &idxf.d, &scf.d, e, &yf.d));
  EXPECT_LE(maxRelDiff(yf, y), kF32Tol);
}

TEST(Precision, LossesAgree) {
  T logits = randn<double>({3, 4, 10}, 13), loss({1});
  Tensor<float> logitsf = cast<float>(logits), lossf({1});
  I tg({3, 4});
  for (size_t i = 0; i < tg.size(); ++i)
    tg[i] = static_cast<int32_t>((i * 7) % 10);
  ASSERT_OK(mfrt_cross_entropy_fwd(&logits.d, &tg.d, 0, &loss.d));
  ASSERT_OK(mfrt_cross_entropy_fwd(&logitsf.d, &tg.d, 0, &lossf.d));
  EXPECT_NEAR(lossf[0], loss[0], kF32Tol * std::fabs(loss[0]));
}

// The f32 backward kernels against the f64 ones on the same inputs.
TEST(Precision, BackwardsAgree) {
  const int64_t b = 2, s = 5, nq = 4, nkv = 2, d = 3;
  T q = randn<double>({b, s, nq * d}, 20), k = randn<double>({b, s, nkv * d}, 21),
    v = randn<double>({b, s, nkv * d}, 22), dout = randn<double>({b, s, nq * d}, 23);
  T dq({b, s, nq * d}), dk({b, s, nkv * d}), dv({b, s, nkv * d});
  auto qf = cast<float>(q), kf = cast<float>(k), vf = cast<float>(v),
       doutf = cast<float>(dout);
  Tensor<float> dqf({b, s, nq * d}), dkf({b, s, nkv * d}), dvf({b, s, nkv * d});
  ASSERT_OK(mfrt_attention_bwd(&q.d, &k.d, &v.d, nq, nkv, 1, 0.0, &dout.d,
                               &dq.d, &dk.d, &dv.d));
  ASSERT_OK(mfrt_attention_bwd(&qf.d, &kf.d, &vf.d, nq, nkv, 1, 0.0, &doutf.d,
                               &dqf.d, &dkf.d, &dvf.d));
  EXPECT_LE(maxRelDiff(dqf, dq), kF32Tol);
  EXPECT_LE(maxRelDiff(dkf, dk), kF32Tol);
  EXPECT_LE(maxRelDiff(dvf, dv), kF32Tol);
  // With rotary embeddings (D = 3 is odd: use 2 heads of D = 6 / 1 kv head).
  ASSERT_OK(mfrt_attention_bwd(&q.d, &k.d, &v.d, 2, 1, 1, 1e4, &dout.d, &dq.d,
                               &dk.d, &dv.d));
  ASSERT_OK(mfrt_attention_bwd(&qf.d, &kf.d, &vf.d, 2, 1, 1, 1e4, &doutf.d,
                               &dqf.d, &dkf.d, &dvf.d));
  EXPECT_LE(maxRelDiff(dqf, dq), kF32Tol);
  EXPECT_LE(maxRelDiff(dkf, dk), kF32Tol);
  EXPECT_LE(maxRelDiff(dvf, dv), kF32Tol);

  const int64_t n = 7, e = 3, h = 4, f = 5;
  I gs({e}, {2, 0, 5});
  T x = randn<double>({n, h}, 24), wg = randn<double>({e, h, f}, 25),
    wu = randn<double>({e, h, f}, 26), wd = randn<double>({e, f, h}, 27),
    g = randn<double>({n, h}, 28);
  T dx({n, h}), dwg({e, h, f}), dwu({e, h, f}), dwd({e, f, h});
  auto xf = cast<float>(x), wgf = cast<float>(wg), wuf = cast<float>(wu),
       wdf = cast<float>(wd), gf = cast<float>(g);
  Tensor<float> dxf({n, h}), dwgf({e, h, f}), dwuf({e, h, f}), dwdf({e, f, h});
  ASSERT_OK(mfrt_experts_bwd(&x.d, &gs.d, &wg.d, &wu.d, &wd.d, &g.d, &dx.d,
                             &dwg.d, &dwu.d, &dwd.d));
  ASSERT_OK(mfrt_experts_bwd(&xf.d, &gs.d, &wgf.d, &wuf.d, &wdf.d, &gf.d,
                             &dxf.d, &dwgf.d, &dwuf.d, &dwdf.d));
  EXPECT_LE(maxRelDiff(dxf, dx), kF32Tol);
  EXPECT_LE(maxRelDiff(dwgf, dwg), kF32Tol);
  EXPECT_LE(maxRelDiff(dwuf, dwu), kF32Tol);
  EXPECT_LE(maxRelDiff(dwdf, dwd), kF32Tol);
}

// Expert parallelism: 4 groups over E_w = 2 experts (group g uses expert
// g mod 2, rows from 2 peers, peer-major) and 2 padding rows. The result
// equals the same rows regrouped per expert (G = E_w), padding rows are 0,
// and the weight gradients sum each expert's groups.
TEST(Forward, ExpertsPeerGroupsAndPadding) {
  const int64_t h = 3, f = 4;
  // Rows: peer 0 sends 1 row for expert 0, 2 for expert 1; peer 1 sends 2
  // for expert 0, 0 for expert 1; then 2 padding rows.
  T x = randn<double>({7, h}, 31), wg = randn<double>({2, h, f}, 32),
    wu = randn<double>({2, h, f}, 33), wd = randn<double>({2, f, h}, 34),
    g = randn<double>({7, h}, 35);
  for (int64_t i = 5 * h; i < 7 * h; ++i)
    x[i] = 1e3; // padding holds garbage; it must not leak
  I peers({4}, {1, 2, 2, 0});
  T out({7, h}), dx({7, h}), dwg({2, h, f}), dwu({2, h, f}), dwd({2, f, h});
  ASSERT_OK(mfrt_experts_fwd(&x.d, &peers.d, &wg.d, &wu.d, &wd.d, &out.d));
  ASSERT_OK(mfrt_experts_bwd(&x.d, &peers.d, &wg.d, &wu.d, &wd.d, &g.d, &dx.d,
                             &dwg.d, &dwu.d, &dwd.d));
  // The reference: rows regrouped by expert (0: rows 0, 3, 4; 1: rows 1, 2).
  const int64_t order[5] = {0, 3, 4, 1, 2};
  T xr({5, h}), gr({5, h}), outr({5, h}), dxr({5, h}), dwgr({2, h, f}),
      dwur({2, h, f}), dwdr({2, f, h});
  for (int64_t r = 0; r < 5; ++r)
    for (int64_t j = 0; j < h; ++j) {
      xr[r * h + j] = x[order[r] * h + j];
      gr[r * h + j] = g[order[r] * h + j];
    }
  I experts({2}, {3, 2});
  ASSERT_OK(mfrt_experts_fwd(&xr.d, &experts.d, &wg.d, &wu.d, &wd.d, &outr.d));
  ASSERT_OK(mfrt_experts_bwd(&xr.d, &experts.d, &wg.d, &wu.d, &wd.d, &gr.d,
                             &dxr.d, &dwgr.d, &dwur.d, &dwdr.d));
  for (int64_t r = 0; r < 5; ++r)
    for (int64_t j = 0; j < h; ++j) {
      EXPECT_NEAR(out[order[r] * h + j], outr[r * h + j], 1e-12);
      EXPECT_NEAR(dx[order[r] * h + j], dxr[r * h + j], 1e-12);
    }
  for (int64_t i = 5 * h; i < 7 * h; ++i) {
    EXPECT_EQ(out[i], 0.0);
    EXPECT_EQ(dx[i], 0.0);
  }
  EXPECT_LE(maxRelDiff(dwg, dwgr), 1e-12);
  EXPECT_LE(maxRelDiff(dwu, dwur), 1e-12);
  EXPECT_LE(maxRelDiff(dwd, dwdr), 1e-12);
  // More rows in the groups than in sorted, or groups not a multiple of the
  // experts: refused.
  I tooMany({4}, {4, 2, 2, 0});
  EXPECT_NE(mfrt_experts_fwd(&x.d, &tooMany.d, &wg.d, &wu.d, &wd.d, &out.d),
            MFRT_OK);
  I three({3}, {1, 1, 1});
  EXPECT_NE(mfrt_experts_fwd(&x.d, &three.d, &wg.d, &wu.d, &wd.d, &out.d),
            MFRT_OK);
}

TEST(Forward, PeerCounts) {
  I sizes({8}, {1, 2, 0, 0, 5, 1, 3, 4}), out({4});
  ASSERT_OK(mfrt_peer_counts(&sizes.d, 4, &out.d));
  EXPECT_EQ(out.v, (std::vector<int32_t>{3, 0, 6, 7}));
  I bad({3});
  EXPECT_NE(mfrt_peer_counts(&bad.d, 4, &out.d), MFRT_OK);
}

} // namespace
