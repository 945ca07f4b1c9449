//===- LossesTest.cpp - cross-entropy on the cuda backend vs the CPU -----===//

#include "DenseTestSupport.h"

using namespace mfrt::test;

namespace {

class LossesTest : public ::testing::TestWithParam<mfrt_dtype> {};

TEST_P(LossesTest, CrossEntropyMatchesCpu) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = GetParam();
  struct Shape {
    std::vector<int64_t> lead;
    int64_t v, numTokens;
  };
  for (const Shape &s : {Shape{{2, 64}, 256, 0}, Shape{{2, 64}, 256, 300},
                         Shape{{7}, 13, 0}}) {
    int64_t t = product(s.lead);
    std::vector<int64_t> shape = s.lead;
    shape.push_back(s.v);
    Pair logits(dt, shape, floats(dt, t * s.v, 1, -6, 6));
    Pair targets(MFRT_I32, s.lead, ints(t, 2, s.v));
    Pair loss(dt, {1});
    ASSERT_EQ(mfrt_cuda_cross_entropy_fwd(logits.d(), targets.d(),
                                          s.numTokens, loss.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_cross_entropy_fwd(logits.h(), targets.h(), s.numTokens,
                                     loss.h()),
              MFRT_OK);
    EXPECT_MATCHES_CPU(loss);

    Pair dloss(dt, {1}, {dt == MFRT_BF16 ? 0.703125 : 0.7});
    Pair dlogits(dt, shape);
    ASSERT_EQ(mfrt_cuda_cross_entropy_bwd(logits.d(), targets.d(),
                                          s.numTokens, dloss.d(), dlogits.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_cross_entropy_bwd(logits.h(), targets.h(), s.numTokens,
                                     dloss.h(), dlogits.h()),
              MFRT_OK);
    EXPECT_MATCHES_CPU(dlogits);
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, LossesTest, storageDtypes(), dtypeName);

TEST(LossesTest, OutOfRangeTargetIsAnError) {
  MFRT_REQUIRE_DEVICE();
  Pair logits(MFRT_F32, {8, 256}, floats(MFRT_F32, 8 * 256, 1));
  std::vector<double> tg = ints(8, 2, 256);
  tg[3] = 256;
  Pair targets(MFRT_I32, {8}, tg);
  Pair loss(MFRT_F32, {1});
  EXPECT_EQ(mfrt_cuda_cross_entropy_fwd(logits.d(), targets.d(), 0, loss.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("mfrt_cuda_cross_entropy_fwd: targets: value 256 "
                            "at flat position 3 is outside [0, 256)"));
  EXPECT_EQ(loss.dev.download()[0], kPoison);

  Pair dloss(MFRT_F32, {1}, {1.0});
  Pair dlogits(MFRT_F32, {8, 256});
  EXPECT_EQ(mfrt_cuda_cross_entropy_bwd(logits.d(), targets.d(), 0, dloss.d(),
                                        dlogits.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("mfrt_cuda_cross_entropy_bwd: targets: value 256 "
                            "at flat position 3 is outside [0, 256)"));
}

TEST(LossesTest, RejectsBadShapes) {
  MFRT_REQUIRE_DEVICE();
  Pair logits(MFRT_F32, {8, 16}, floats(MFRT_F32, 128, 1));
  Pair targets(MFRT_I32, {7}, ints(7, 2, 16));
  Pair loss(MFRT_F32, {1});
  EXPECT_EQ(mfrt_cuda_cross_entropy_fwd(logits.d(), targets.d(), 0, loss.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("targets: expected shape [8], got [7]"));
  Pair targets8(MFRT_I32, {8}, ints(8, 2, 16));
  Pair wideLoss(MFRT_F32, {2});
  EXPECT_EQ(
      mfrt_cuda_cross_entropy_fwd(logits.d(), targets8.d(), 0, wideLoss.d()),
      MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("loss: expected a one-element scalar tensor"));
}

} // namespace
