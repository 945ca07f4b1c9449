//===- ValidationTest.cpp - argument checking of the C ABI ----------------===//
//
// Every entry point must reject bad arguments with
// MFRT_ERROR_INVALID_ARGUMENT and a reason in mfrt_last_error(), never
// crash, and write nothing.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_ops.h"

#include "TestUtil.h"

#include <cmath>
#include <string>

using namespace mfrt_test;
using T = Tensor<double>;
using I = Tensor<int32_t>;

namespace {

/// Expects INVALID_ARGUMENT and a last error containing `needle`.
#define EXPECT_INVALID(expr, needle)                                           \
  do {                                                                         \
    mfrt_clear_last_error();                                                   \
    mfrt_status s_ = (expr);                                                   \
    EXPECT_EQ(s_, MFRT_ERROR_INVALID_ARGUMENT) << #expr;                       \
    EXPECT_NE(std::string(mfrt_last_error()).find(needle), std::string::npos)  \
        << #expr << ": message was \"" << mfrt_last_error() << "\"";           \
  } while (0)

// Each entry point called with every descriptor NULL: an error naming the
// function, no crash.
TEST(Validation, AllNullArgumentsAreRejected) {
  EXPECT_INVALID(mfrt_embedding_fwd(nullptr, nullptr, nullptr),
                 "mfrt_embedding_fwd: table: NULL");
  EXPECT_INVALID(mfrt_embedding_bwd(nullptr, nullptr, nullptr),
                 "mfrt_embedding_bwd");
  EXPECT_INVALID(mfrt_rms_norm_fwd(nullptr, nullptr, 1e-5, nullptr),
                 "mfrt_rms_norm_fwd");
  EXPECT_INVALID(
      mfrt_rms_norm_bwd(nullptr, nullptr, 1e-5, nullptr, nullptr, nullptr),
      "mfrt_rms_norm_bwd");
  EXPECT_INVALID(mfrt_linear_fwd(nullptr, nullptr, nullptr), "mfrt_linear_fwd");
  EXPECT_INVALID(mfrt_linear_bwd(nullptr, nullptr, nullptr, nullptr, nullptr),
                 "mfrt_linear_bwd");
  EXPECT_INVALID(
      mfrt_attention_fwd(nullptr, nullptr, nullptr, 1, 1, 1, 0.0, nullptr),
      "mfrt_attention_fwd");
  EXPECT_INVALID(mfrt_attention_bwd(nullptr, nullptr, nullptr, 1, 1, 1, 0.0,
                                    nullptr, nullptr, nullptr, nullptr),
                 "mfrt_attention_bwd");
  EXPECT_INVALID(mfrt_swiglu_fwd(nullptr, nullptr, nullptr), "mfrt_swiglu_fwd");
  EXPECT_INVALID(mfrt_swiglu_bwd(nullptr, nullptr, nullptr, nullptr, nullptr),
                 "mfrt_swiglu_bwd");
  EXPECT_INVALID(mfrt_router_fwd(nullptr, nullptr, nullptr,
                                 MFRT_SCORING_SOFTMAX, 1, 0, nullptr, nullptr,
                                 nullptr),
                 "mfrt_router_fwd");
  EXPECT_INVALID(mfrt_router_bwd(nullptr, nullptr, MFRT_SCORING_SOFTMAX, 0,
                                 nullptr, nullptr, nullptr, nullptr, nullptr,
                                 nullptr),
                 "mfrt_router_bwd");
  EXPECT_INVALID(mfrt_dispatch_fwd(nullptr, nullptr, 2, nullptr, nullptr),
                 "mfrt_dispatch_fwd");
  EXPECT_INVALID(mfrt_dispatch_bwd(nullptr, 2, nullptr, nullptr),
                 "mfrt_dispatch_bwd");
  EXPECT_INVALID(mfrt_dispatch_rows(nullptr, 2, nullptr), "mfrt_dispatch_rows");
  EXPECT_INVALID(mfrt_experts_fwd(nullptr, nullptr, nullptr, nullptr, nullptr,
                                  nullptr),
                 "mfrt_experts_fwd");
  EXPECT_INVALID(mfrt_experts_bwd(nullptr, nullptr, nullptr, nullptr, nullptr,
                                  nullptr, nullptr, nullptr, nullptr, nullptr),
                 "mfrt_experts_bwd");
  EXPECT_INVALID(mfrt_combine_fwd(nullptr, nullptr, nullptr, 2, nullptr),
                 "mfrt_combine_fwd");
  EXPECT_INVALID(mfrt_combine_bwd(nullptr, nullptr, nullptr, 2, nullptr,
                                  nullptr, nullptr),
                 "mfrt_combine_bwd");
  EXPECT_INVALID(mfrt_shared_expert_fwd(nullptr, nullptr, nullptr, nullptr,
                                        nullptr, nullptr),
                 "mfrt_shared_expert_fwd");
  EXPECT_INVALID(mfrt_shared_expert_bwd(nullptr, nullptr, nullptr, nullptr,
                                        nullptr, nullptr, nullptr, nullptr,
                                        nullptr, nullptr, nullptr),
                 "mfrt_shared_expert_bwd");
  EXPECT_INVALID(mfrt_aux_loss_fwd(nullptr, nullptr, 0.01, nullptr),
                 "mfrt_aux_loss_fwd");
  EXPECT_INVALID(mfrt_aux_loss_bwd(nullptr, nullptr, 0.01, nullptr, nullptr),
                 "mfrt_aux_loss_bwd");
  EXPECT_INVALID(mfrt_cross_entropy_fwd(nullptr, nullptr, 0, nullptr),
                 "mfrt_cross_entropy_fwd");
  EXPECT_INVALID(mfrt_cross_entropy_bwd(nullptr, nullptr, 0, nullptr, nullptr),
                 "mfrt_cross_entropy_bwd");
  EXPECT_INVALID(mfrt_add_fwd(nullptr, nullptr, nullptr), "mfrt_add_fwd");
  EXPECT_INVALID(mfrt_add_bwd(nullptr, nullptr, nullptr), "mfrt_add_bwd");
}

// A required output left NULL (inputs valid) is an error too.
TEST(Validation, NullOutputIsRejected) {
  T x({2, 3}), w({3, 4});
  EXPECT_INVALID(mfrt_linear_fwd(&x.d, &w.d, nullptr), "out: NULL");
}

TEST(Validation, BadDescriptors) {
  T x({2, 3}), w({3, 4}), out({2, 4});
  mfrt_tensor bad = x.d;
  bad.data = nullptr;
  EXPECT_INVALID(mfrt_linear_fwd(&bad, &w.d, &out.d), "x: NULL data pointer");
  bad = x.d;
  bad.rank = 9;
  EXPECT_INVALID(mfrt_linear_fwd(&bad, &w.d, &out.d), "x: rank 9");
  bad = x.d;
  bad.shape[1] = -3;
  EXPECT_INVALID(mfrt_linear_fwd(&bad, &w.d, &out.d), "x: negative extent");
  bad = x.d;
  bad.dtype = static_cast<mfrt_dtype>(77);
  EXPECT_INVALID(mfrt_linear_fwd(&bad, &w.d, &out.d), "x: unknown dtype");
  bad = x.d;
  bad.dtype = MFRT_BF16;
  EXPECT_INVALID(mfrt_linear_fwd(&bad, &w.d, &out.d),
                 "x: expected dtype f32 or f64, got bf16");
  // Zero-element tensors may have a NULL data pointer.
  T empty({0, 3}), emptyOut({0, 4});
  empty.d.data = nullptr;
  emptyOut.d.data = nullptr;
  EXPECT_OK(mfrt_linear_fwd(&empty.d, &w.d, &emptyOut.d));
}

TEST(Validation, MixedFloatDtypes) {
  T x({2, 3}), out({2, 4});
  Tensor<float> w({3, 4});
  EXPECT_INVALID(mfrt_linear_fwd(&x.d, &w.d, &out.d),
                 "w: dtype f32 differs from the call's f64");
  I idx({2, 3});
  EXPECT_INVALID(mfrt_linear_fwd(&x.d, &idx.d, &out.d), "w: expected dtype");
}

TEST(Validation, ShapeMismatchesNameTheTensor) {
  T x({2, 3}), w({4, 3}), out({2, 4});
  EXPECT_INVALID(mfrt_linear_fwd(&x.d, &w.d, &out.d),
                 "mfrt_linear_fwd: w: expected shape [3, ?], got [4, 3]");
  T w2({3, 4}), out2({2, 5});
  EXPECT_INVALID(mfrt_linear_fwd(&x.d, &w2.d, &out2.d),
                 "out: expected shape [2, 4], got [2, 5]");
  T dx({3, 3});
  EXPECT_INVALID(mfrt_linear_bwd(&x.d, &w2.d, &out.d, &dx.d, nullptr),
                 "dx: expected shape [2, 3]");
  T nw({4});
  EXPECT_INVALID(mfrt_rms_norm_fwd(&x.d, &nw.d, 1e-5, &x.d), "w: expected");
  T w3({3});
  EXPECT_INVALID(mfrt_rms_norm_fwd(&x.d, &w3.d, -1.0, &x.d), "eps");
  T g({2, 3}), u({3, 2});
  EXPECT_INVALID(mfrt_swiglu_fwd(&g.d, &u.d, &g.d), "up: expected shape");
  T a({2}), b({3});
  EXPECT_INVALID(mfrt_add_fwd(&a.d, &b.d, &a.d), "b: expected shape");
}

TEST(Validation, EmbeddingTokenOutOfRange) {
  T table({4, 2}), out({1, 3, 2});
  I tokens({1, 3}, {0, 4, 1});
  EXPECT_INVALID(mfrt_embedding_fwd(&table.d, &tokens.d, &out.d),
                 "value 4 at flat position 1 is outside [0, 4)");
  tokens[1] = -1;
  EXPECT_INVALID(mfrt_embedding_bwd(&tokens.d, &out.d, &table.d), "value -1");
}

TEST(Validation, Attention) {
  T q({1, 2, 6}), k({1, 2, 4}), v({1, 2, 4}), out({1, 2, 6});
  EXPECT_INVALID(mfrt_attention_fwd(&q.d, &k.d, &v.d, 3, 2, 1, 0.0, &out.d),
                 "not a multiple of num_kv_heads");
  EXPECT_INVALID(mfrt_attention_fwd(&q.d, &k.d, &v.d, 0, 1, 1, 0.0, &out.d),
                 "must be positive");
  EXPECT_INVALID(mfrt_attention_fwd(&q.d, &k.d, &v.d, 4, 2, 1, 0.0, &out.d),
                 "not a positive multiple of num_heads");
  // 3 heads of D=2 -> k must be [1, 2, 1*2].
  EXPECT_INVALID(mfrt_attention_fwd(&q.d, &k.d, &v.d, 3, 1, 1, 0.0, &out.d),
                 "k: expected shape [1, 2, 2], got [1, 2, 4]");
}

TEST(Validation, AttentionRope) {
  // [1, 2, 6]: 3 heads of D = 2 (even) or 2 heads of D = 3 (odd).
  T q({1, 2, 6}), k({1, 2, 6}), v({1, 2, 6}), out({1, 2, 6});
  T dout({1, 2, 6}), dq({1, 2, 6}), dk({1, 2, 6}), dv({1, 2, 6});
  EXPECT_INVALID(
      mfrt_attention_fwd(&q.d, &k.d, &v.d, 3, 3, 1, -1.0, &out.d),
      "mfrt_attention_fwd: rope_theta must be 0 (no rotary embedding) or "
      "positive and finite, got -1");
  EXPECT_INVALID(
      mfrt_attention_fwd(&q.d, &k.d, &v.d, 3, 3, 1, std::nan(""), &out.d),
      "rope_theta must be 0");
  EXPECT_INVALID(
      mfrt_attention_fwd(&q.d, &k.d, &v.d, 3, 3, 1, HUGE_VAL, &out.d),
      "rope_theta must be 0");
  EXPECT_INVALID(mfrt_attention_fwd(&q.d, &k.d, &v.d, 2, 2, 1, 1e4, &out.d),
                 "rope_theta needs an even head dimension, got D = 3");
  EXPECT_INVALID(mfrt_attention_bwd(&q.d, &k.d, &v.d, 3, 3, 1, -5.0, &dout.d,
                                    &dq.d, &dk.d, &dv.d),
                 "mfrt_attention_bwd: rope_theta must be 0");
  EXPECT_INVALID(mfrt_attention_bwd(&q.d, &k.d, &v.d, 2, 2, 1, 1e4, &dout.d,
                                    &dq.d, nullptr, nullptr),
                 "mfrt_attention_bwd: rope_theta needs an even head "
                 "dimension, got D = 3");
}

TEST(Validation, Router) {
  T x({2, 3}), w({3, 4}), sc({2, 2}), pr({2, 4});
  I idx({2, 2});
  EXPECT_INVALID(mfrt_router_fwd(&x.d, &w.d, nullptr, MFRT_SCORING_SOFTMAX, 5,
                                 0, &sc.d, &idx.d, &pr.d),
                 "top_k: expected a value in [1, 4], got 5");
  EXPECT_INVALID(mfrt_router_fwd(&x.d, &w.d, nullptr,
                                 static_cast<mfrt_router_scoring>(9), 2, 0,
                                 &sc.d, &idx.d, &pr.d),
                 "unknown scoring");
  T bias({3});
  EXPECT_INVALID(mfrt_router_fwd(&x.d, &w.d, &bias.d, MFRT_SCORING_SOFTMAX, 2,
                                 0, &sc.d, &idx.d, &pr.d),
                 "bias: expected shape [4]");
  I badIdx({2, 2}, {0, 1, 2, 4});
  EXPECT_INVALID(mfrt_router_bwd(&x.d, &w.d, MFRT_SCORING_SOFTMAX, 0, &pr.d,
                                 &badIdx.d, &sc.d, nullptr, nullptr, nullptr),
                 "indices: value 4 at flat position 3");
}

TEST(Validation, DispatchCombineExperts) {
  T x({3, 2}), sorted({6, 2});
  I idx({3, 2}, {0, 1, 1, 2, 2, 3}), gs({3});
  EXPECT_INVALID(mfrt_dispatch_fwd(&x.d, &idx.d, 3, &sorted.d, &gs.d),
                 "value 3 at flat position 5 is outside [0, 3)");
  EXPECT_INVALID(mfrt_dispatch_fwd(&x.d, &idx.d, 0, &sorted.d, &gs.d),
                 "num_experts");
  I idx2({3, 2}, {0, 1, 1, 2, 2, 0});
  T small({5, 2});
  EXPECT_INVALID(mfrt_dispatch_fwd(&x.d, &idx2.d, 3, &small.d, &gs.d),
                 "sorted: expected shape [6, 2], got [5, 2]");
  T sc({3, 2}), out({3, 2});
  EXPECT_INVALID(mfrt_combine_fwd(&small.d, &idx2.d, &sc.d, 3, &out.d),
                 "expert_out: expected shape [6, ?]");
  T wg({3, 2, 4}), wu({3, 2, 4}), wd({3, 4, 2}), eo({6, 2});
  // Fewer rows than the sizes sum to (more is padding: valid).
  I sizes({3}, {2, 2, 3});
  EXPECT_INVALID(mfrt_experts_fwd(&sorted.d, &sizes.d, &wg.d, &wu.d, &wd.d,
                                  &eo.d),
                 "sizes sum to 7 but sorted has 6 rows");
  I negative({3}, {4, -1, 3});
  EXPECT_INVALID(mfrt_experts_fwd(&sorted.d, &negative.d, &wg.d, &wu.d, &wd.d,
                                  &eo.d),
                 "negative size -1 for group 1");
  T wdBad({3, 2, 4});
  I ok({3}, {2, 2, 2});
  EXPECT_INVALID(
      mfrt_experts_fwd(&sorted.d, &ok.d, &wg.d, &wu.d, &wdBad.d, &eo.d),
      "w_down: expected shape [3, 4, 2]");
}

// Scores before the experts: the scaled dispatch checks its scores like the
// indices, and an unweighted combine has no score gradient to give.
TEST(Validation, ScoreFirst) {
  T x({3, 2}), sorted({6, 2}), dx({3, 2});
  I idx({3, 2}, {0, 1, 1, 2, 2, 0}), gs({3});
  T scBad({3, 1}), sc({3, 2}), ds({3, 2});
  EXPECT_INVALID(mfrt_dispatch_scaled_fwd(&x.d, &idx.d, &scBad.d, 3,
                                          &sorted.d, &gs.d),
                 "scores: expected shape [3, 2], got [3, 1]");
  EXPECT_INVALID(mfrt_dispatch_scaled_fwd(&x.d, &idx.d, nullptr, 3, &sorted.d,
                                          &gs.d),
                 "mfrt_dispatch_scaled_fwd");
  EXPECT_INVALID(mfrt_dispatch_scaled_bwd(&x.d, &idx.d, &sc.d, 3, &x.d, &dx.d,
                                          &ds.d),
                 "dsorted: expected shape [6, 2], got [3, 2]");
  T dout({3, 2}), deo({6, 2});
  EXPECT_INVALID(mfrt_combine_bwd(&sorted.d, &idx.d, nullptr, 3, &dout.d,
                                  &deo.d, &ds.d),
                 "dscores requested without scores");
}

TEST(Validation, SharedExpertGate) {
  T x({2, 2}), wg({2, 3}), wu({2, 3}), wd({3, 2}), gate({2, 1}), dout({2, 2}),
      dgate({2, 1}), badGate({2, 2});
  EXPECT_INVALID(mfrt_shared_expert_fwd(&x.d, &wg.d, &wu.d, &wd.d, &badGate.d,
                                        &x.d),
                 "gate: expected shape [2, 1]");
  EXPECT_INVALID(mfrt_shared_expert_bwd(&x.d, &wg.d, &wu.d, &wd.d, nullptr,
                                        &dout.d, nullptr, nullptr, nullptr,
                                        nullptr, &dgate.d),
                 "no gate");
}

TEST(Validation, Losses) {
  T logits({2, 3}), loss({1}), notScalar({2});
  I tg({2}, {0, 3});
  EXPECT_INVALID(mfrt_cross_entropy_fwd(&logits.d, &tg.d, 0, &loss.d),
                 "targets: value 3 at flat position 1 is outside [0, 3)");
  I tg2({2}, {0, 2});
  EXPECT_INVALID(mfrt_cross_entropy_fwd(&logits.d, &tg2.d, 0, &notScalar.d),
                 "loss: expected a one-element scalar");
  I tg3({3}, {0, 1, 2});
  EXPECT_INVALID(mfrt_cross_entropy_fwd(&logits.d, &tg3.d, 0, &loss.d),
                 "targets: expected shape [2]");
  T probs({2, 3});
  I idx({2, 1}, {0, 5});
  EXPECT_INVALID(mfrt_aux_loss_fwd(&probs.d, &idx.d, 0.1, &loss.d),
                 "indices: value 5");
}

TEST(Validation, VocabParallelLosses) {
  T logits({2, 3}), stat({2}), badStat({3}), loss({1}), empty({2, 0});
  I tg({2}, {0, 6}), tgBad({2}, {0, 9});
  EXPECT_INVALID(mfrt_vocab_max_fwd(&logits.d, &badStat.d),
                 "max: expected shape [2]");
  EXPECT_INVALID(mfrt_vocab_max_fwd(&empty.d, &stat.d),
                 "the vocabulary shard is empty");
  EXPECT_INVALID(mfrt_vocab_target_logit_fwd(&logits.d, &tgBad.d, 3, 9,
                                             &stat.d),
                 "targets: value 9 at flat position 1 is outside [0, 9)");
  EXPECT_INVALID(mfrt_vocab_target_logit_fwd(&logits.d, &tg.d, 7, 9, &stat.d),
                 "the shard [7, 10) is not inside the vocabulary [0, 9)");
  EXPECT_INVALID(mfrt_vocab_cross_entropy_fwd(&stat.d, &badStat.d, &stat.d, 0,
                                              &loss.d),
                 "sumexp: expected shape [2]");
  T dloss({1}), dlogits({2, 3});
  EXPECT_INVALID(mfrt_vocab_cross_entropy_bwd(&logits.d, &tg.d, -1, &stat.d,
                                              &stat.d, &dloss.d, 0,
                                              &dlogits.d),
                 "offset: expected a non-negative vocabulary offset");
}

// A failing call writes nothing into its outputs.
TEST(Validation, FailureWritesNothing) {
  T table({4, 2}, {1, 1, 1, 1, 1, 1, 1, 1}), out({1, 2, 2});
  std::fill(out.v.begin(), out.v.end(), -7.0);
  I tokens({1, 2}, {0, 9});
  EXPECT_EQ(mfrt_embedding_fwd(&table.d, &tokens.d, &out.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  for (double v : out.v)
    EXPECT_EQ(v, -7.0);
}

TEST(Validation, LastErrorLifecycle) {
  mfrt_clear_last_error();
  EXPECT_STREQ(mfrt_last_error(), "");
  EXPECT_EQ(mfrt_linear_fwd(nullptr, nullptr, nullptr),
            MFRT_ERROR_INVALID_ARGUMENT);
  std::string msg = mfrt_last_error();
  EXPECT_FALSE(msg.empty());
  // Success leaves the message alone; clear resets it.
  T a({1}), b({1});
  EXPECT_OK(mfrt_add_fwd(&a.d, &b.d, &a.d));
  EXPECT_EQ(msg, mfrt_last_error());
  mfrt_clear_last_error();
  EXPECT_STREQ(mfrt_last_error(), "");
}

TEST(Validation, TensorHelpers) {
  T x({2, 3, 4});
  EXPECT_EQ(mfrt_tensor_numel(&x.d), 24);
  EXPECT_EQ(mfrt_tensor_numel(nullptr), -1);
  T s;
  EXPECT_EQ(mfrt_tensor_numel(&s.d), 1);
  EXPECT_EQ(mfrt_dtype_size(MFRT_F32), 4u);
  EXPECT_EQ(mfrt_dtype_size(MFRT_BF16), 2u);
  EXPECT_EQ(mfrt_dtype_size(static_cast<mfrt_dtype>(99)), 0u);
  EXPECT_STREQ(mfrt_dtype_name(MFRT_F64), "f64");
}

} // namespace
