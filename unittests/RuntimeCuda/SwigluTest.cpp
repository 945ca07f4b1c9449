//===- SwigluTest.cpp - swiglu on the cuda backend vs the CPU ------------===//

#include "DenseTestSupport.h"

using namespace mfrt::test;

namespace {

class SwigluTest : public ::testing::TestWithParam<mfrt_dtype> {};

TEST_P(SwigluTest, ForwardAndBackwardMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = GetParam();
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{128, 64}, std::vector<int64_t>{7, 5}}) {
    int64_t n = product(shape);
    // Gates on both sides of 0 and far into the saturated tails.
    Pair gate(dt, shape, floats(dt, n, 1, -12, 12));
    Pair up(dt, shape, floats(dt, n, 2));
    Pair out(dt, shape);
    ASSERT_EQ(mfrt_cuda_swiglu_fwd(gate.d(), up.d(), out.d()), MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_swiglu_fwd(gate.h(), up.h(), out.h()), MFRT_OK);
    EXPECT_MATCHES_CPU(out);

    Pair dout(dt, shape, floats(dt, n, 3));
    Pair dgate(dt, shape), dup(dt, shape);
    ASSERT_EQ(mfrt_cuda_swiglu_bwd(gate.d(), up.d(), dout.d(), dgate.d(),
                                   dup.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(
        mfrt_swiglu_bwd(gate.h(), up.h(), dout.h(), dgate.h(), dup.h()),
        MFRT_OK);
    EXPECT_MATCHES_CPU(dgate);
    EXPECT_MATCHES_CPU(dup);
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, SwigluTest, storageDtypes(), dtypeName);

TEST(SwigluTest, RejectsBadArguments) {
  MFRT_REQUIRE_DEVICE();
  Pair gate(MFRT_BF16, {4, 3}, floats(MFRT_BF16, 12, 1));
  Pair up(MFRT_BF16, {4, 2}, floats(MFRT_BF16, 8, 2));
  Pair out(MFRT_BF16, {4, 3});
  EXPECT_EQ(mfrt_cuda_swiglu_fwd(gate.d(), up.d(), out.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions(
      "mfrt_cuda_swiglu_fwd: up: expected shape [4, 3], got [4, 2]"));
  Pair idx(MFRT_I32, {4, 3}, ints(12, 3, 5));
  EXPECT_EQ(mfrt_cuda_swiglu_bwd(gate.d(), gate.d(), idx.d(), nullptr, nullptr),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("dout: expected dtype f32, bf16 or f64, got i32"));
}

} // namespace
