//===- FillTest.cpp - mfrt_cuda_fill vs mfrt_init_constant ---------------===//

#include "DenseTestSupport.h"

#include "moefold_runtime/mfrt_rng.h"

using namespace mfrt::test;

namespace {

class FillTest : public ::testing::TestWithParam<mfrt_dtype> {};

TEST_P(FillTest, MatchesInitConstant) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = GetParam();
  for (double value : {0.3, -2.0, 0.0}) {
    Pair out(dt, {7, 5});
    ASSERT_EQ(mfrt_cuda_fill(out.d(), value), MFRT_OK) << mfrt_last_error();
    ASSERT_EQ(mfrt_init_constant(out.h(), value), MFRT_OK);
    EXPECT_MATCHES_CPU(out);
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, FillTest, storageDtypes(), dtypeName);

TEST(FillTest, RejectsIndexTensors) {
  MFRT_REQUIRE_DEVICE();
  DeviceTensor t(MFRT_I32, {4});
  EXPECT_EQ(mfrt_cuda_fill(t.desc(), 1.0), MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions(
      "mfrt_cuda_fill: out: expected dtype f32, bf16 or f64, got i32"));
  EXPECT_EQ(mfrt_cuda_fill(nullptr, 1.0), MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("out: NULL tensor descriptor"));
}

} // namespace
