//===- AuxLossTest.cpp - load-balancing aux loss vs the CPU --------------===//

#include "DenseTestSupport.h"

using namespace mfrt::test;

namespace {

class AuxLossTest : public ::testing::TestWithParam<mfrt_dtype> {};

TEST_P(AuxLossTest, ForwardAndBackwardMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = GetParam();
  struct Shape {
    std::vector<int64_t> lead;
    int64_t e, k;
  };
  for (const Shape &s : {Shape{{2, 64}, 16, 2}, Shape{{7}, 5, 3}}) {
    int64_t t = product(s.lead);
    std::vector<int64_t> pShape = s.lead, iShape = s.lead;
    pShape.push_back(s.e);
    iShape.push_back(s.k);
    Pair probs(dt, pShape, floats(dt, t * s.e, 1, 0, 1));
    Pair indices(MFRT_I32, iShape, ints(t * s.k, 2, s.e));
    double coeff = 0.01;
    Pair loss(dt, {1});
    ASSERT_EQ(mfrt_cuda_aux_loss_fwd(probs.d(), indices.d(), coeff, loss.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_aux_loss_fwd(probs.h(), indices.h(), coeff, loss.h()),
              MFRT_OK);
    EXPECT_MATCHES_CPU(loss);

    Pair dloss(dt, {1}, {1.5});
    Pair dprobs(dt, pShape);
    ASSERT_EQ(mfrt_cuda_aux_loss_bwd(probs.d(), indices.d(), coeff, dloss.d(),
                                     dprobs.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_aux_loss_bwd(probs.h(), indices.h(), coeff, dloss.h(),
                                dprobs.h()),
              MFRT_OK);
    EXPECT_MATCHES_CPU(dprobs);
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, AuxLossTest, storageDtypes(), dtypeName);

TEST(AuxLossTest, RejectsBadArguments) {
  MFRT_REQUIRE_DEVICE();
  Pair probs(MFRT_F32, {4, 8}, floats(MFRT_F32, 32, 1, 0, 1));
  Pair indices(MFRT_I32, {4, 2}, {0, 1, 2, 3, 4, 8, 6, 7});
  Pair loss(MFRT_F32, {1});
  EXPECT_EQ(mfrt_cuda_aux_loss_fwd(probs.d(), indices.d(), 0.1, loss.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("mfrt_cuda_aux_loss_fwd: indices: value 8 at flat "
                            "position 5 is outside [0, 8)"));
  Pair dloss(MFRT_F32, {1}, {1.0});
  EXPECT_EQ(mfrt_cuda_aux_loss_bwd(probs.d(), indices.d(), 0.1, dloss.d(),
                                   nullptr),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("mfrt_cuda_aux_loss_bwd: indices: value 8"));

  Pair good(MFRT_I32, {4, 2}, ints(8, 2, 8));
  EXPECT_EQ(mfrt_cuda_aux_loss_fwd(probs.d(), good.d(), INFINITY, loss.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("coeff: expected a finite value, got inf"));
  Pair wrongRows(MFRT_I32, {3, 2}, ints(6, 2, 8));
  EXPECT_EQ(mfrt_cuda_aux_loss_fwd(probs.d(), wrongRows.d(), 0.1, loss.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("indices: expected shape [4, ?], got [3, 2]"));
}

} // namespace
