//===- RmsNormTest.cpp - rms_norm on the cuda backend vs the CPU ---------===//

#include "DenseTestSupport.h"

using namespace mfrt::test;

namespace {

class RmsNormTest : public ::testing::TestWithParam<mfrt_dtype> {};

TEST_P(RmsNormTest, ForwardAndBackwardMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = GetParam();
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{2, 64, 64}, std::vector<int64_t>{3, 7, 5}}) {
    int64_t h = shape.back(), n = product(shape);
    double eps = 1e-6;
    Pair x(dt, shape, floats(dt, n, 1));
    Pair w(dt, {h}, floats(dt, h, 2, 0.5, 1.5));
    Pair out(dt, shape);
    ASSERT_EQ(mfrt_cuda_rms_norm_fwd(x.d(), w.d(), eps, out.d()), MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_rms_norm_fwd(x.h(), w.h(), eps, out.h()), MFRT_OK);
    EXPECT_MATCHES_CPU(out);

    Pair dout(dt, shape, floats(dt, n, 3));
    Pair dx(dt, shape), dw(dt, {h});
    ASSERT_EQ(mfrt_cuda_rms_norm_bwd(x.d(), w.d(), eps, dout.d(), dx.d(),
                                     dw.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_rms_norm_bwd(x.h(), w.h(), eps, dout.h(), dx.h(), dw.h()),
              MFRT_OK);
    EXPECT_MATCHES_CPU(dx);
    EXPECT_MATCHES_CPU(dw);

    // Each gradient alone (the other NULL) is the same.
    Pair dwOnly(dt, {h});
    ASSERT_EQ(mfrt_cuda_rms_norm_bwd(x.d(), w.d(), eps, dout.d(), nullptr,
                                     dwOnly.d()),
              MFRT_OK)
        << mfrt_last_error();
    EXPECT_EQ(dwOnly.dev.download(), dw.dev.download());
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, RmsNormTest, storageDtypes(), dtypeName);

TEST(RmsNormTest, RejectsBadArguments) {
  MFRT_REQUIRE_DEVICE();
  Pair x(MFRT_F32, {4, 8}, floats(MFRT_F32, 32, 1));
  Pair w(MFRT_F32, {7}, floats(MFRT_F32, 7, 2));
  Pair out(MFRT_F32, {4, 8});
  EXPECT_EQ(mfrt_cuda_rms_norm_fwd(x.d(), w.d(), 1e-6, out.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions(
      "mfrt_cuda_rms_norm_fwd: w: expected shape [8], got [7]"));

  Pair w8(MFRT_F32, {8}, floats(MFRT_F32, 8, 2));
  EXPECT_EQ(mfrt_cuda_rms_norm_fwd(x.d(), w8.d(), -1.0, out.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("eps: expected a finite value >= 0, got -1"));

  Pair dout(MFRT_BF16, {4, 8}, floats(MFRT_BF16, 32, 3));
  EXPECT_EQ(mfrt_cuda_rms_norm_bwd(x.d(), w8.d(), 1e-6, dout.d(), nullptr,
                                   nullptr),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("dout: dtype bf16 differs from the call's f32"));
}

} // namespace
