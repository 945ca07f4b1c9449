//===- VocabParallelTest.cpp - vocab-parallel cross-entropy vs the CPU ---===//

#include "DenseTestSupport.h"

using namespace mfrt::test;

namespace {

class VocabParallelTest : public ::testing::TestWithParam<mfrt_dtype> {};

TEST_P(VocabParallelTest, StatisticsLossAndGradientMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = GetParam();
  struct Shape {
    std::vector<int64_t> lead;
    int64_t vl, offset, vocab, numTokens;
  };
  // A middle shard of the example vocabulary, then an odd last shard.
  for (const Shape &s : {Shape{{2, 64}, 64, 64, 256, 0},
                         Shape{{7}, 5, 8, 13, 11}}) {
    int64_t t = product(s.lead);
    std::vector<int64_t> shape = s.lead;
    shape.push_back(s.vl);
    Pair logits(dt, shape, floats(dt, t * s.vl, 1, -6, 6));
    Pair targets(MFRT_I32, s.lead, ints(t, 2, s.vocab));
    Pair max(dt, s.lead), sumexp(dt, s.lead), target(dt, s.lead);
    ASSERT_EQ(mfrt_cuda_vocab_max_fwd(logits.d(), max.d()), MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_vocab_max_fwd(logits.h(), max.h()), MFRT_OK);
    EXPECT_MATCHES_CPU(max);
    ASSERT_EQ(mfrt_cuda_vocab_sumexp_fwd(logits.d(), max.d(), sumexp.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_vocab_sumexp_fwd(logits.h(), max.h(), sumexp.h()), MFRT_OK);
    EXPECT_MATCHES_CPU(sumexp);
    ASSERT_EQ(mfrt_cuda_vocab_target_logit_fwd(logits.d(), targets.d(),
                                               s.offset, s.vocab, target.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_vocab_target_logit_fwd(logits.h(), targets.h(), s.offset,
                                          s.vocab, target.h()),
              MFRT_OK);
    EXPECT_MATCHES_CPU(target);

    Pair loss(dt, {1});
    ASSERT_EQ(mfrt_cuda_vocab_cross_entropy_fwd(max.d(), sumexp.d(),
                                                target.d(), s.numTokens,
                                                loss.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_vocab_cross_entropy_fwd(max.h(), sumexp.h(), target.h(),
                                           s.numTokens, loss.h()),
              MFRT_OK);
    EXPECT_MATCHES_CPU(loss);

    Pair dloss(dt, {1}, {1.25});
    Pair dlogits(dt, shape);
    ASSERT_EQ(mfrt_cuda_vocab_cross_entropy_bwd(
                  logits.d(), targets.d(), s.offset, max.d(), sumexp.d(),
                  dloss.d(), s.numTokens, dlogits.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_vocab_cross_entropy_bwd(logits.h(), targets.h(), s.offset,
                                           max.h(), sumexp.h(), dloss.h(),
                                           s.numTokens, dlogits.h()),
              MFRT_OK);
    EXPECT_MATCHES_CPU(dlogits);
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, VocabParallelTest, storageDtypes(),
                         dtypeName);

TEST(VocabParallelTest, RejectsBadArguments) {
  MFRT_REQUIRE_DEVICE();
  Pair logits(MFRT_F32, {4, 8}, floats(MFRT_F32, 32, 1));
  std::vector<double> tg = {1, 2, 40, 3};
  Pair targets(MFRT_I32, {4}, tg);
  Pair out(MFRT_F32, {4});
  EXPECT_EQ(mfrt_cuda_vocab_target_logit_fwd(logits.d(), targets.d(), 8, 32,
                                             out.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("mfrt_cuda_vocab_target_logit_fwd: targets: value "
                            "40 at flat position 2 is outside [0, 32)"));
  EXPECT_EQ(mfrt_cuda_vocab_target_logit_fwd(logits.d(), targets.d(), 28, 32,
                                             out.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions(
      "the shard [28, 36) is not inside the vocabulary [0, 32)"));

  Pair empty(MFRT_F32, {4, 0}, {});
  EXPECT_EQ(mfrt_cuda_vocab_max_fwd(empty.d(), out.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("logits: the vocabulary shard is empty"));

  Pair dloss(MFRT_F32, {1}, {1.0});
  Pair dlogits(MFRT_F32, {4, 8});
  EXPECT_EQ(mfrt_cuda_vocab_cross_entropy_bwd(logits.d(), targets.d(), -1,
                                              out.d(), out.d(), dloss.d(), 0,
                                              dlogits.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions(
      "offset: expected a non-negative vocabulary offset, got -1"));
}

} // namespace
