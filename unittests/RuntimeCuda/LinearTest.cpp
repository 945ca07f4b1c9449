//===- LinearTest.cpp - linear on the cuda backend vs the CPU ------------===//

#include "DenseTestSupport.h"

using namespace mfrt::test;

namespace {

class LinearTest : public ::testing::TestWithParam<mfrt_dtype> {};

TEST_P(LinearTest, ForwardAndBackwardMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = GetParam();
  struct Shape {
    std::vector<int64_t> x;
    int64_t n;
  };
  for (const Shape &s :
       {Shape{{2, 64, 64}, 96}, Shape{{7, 5}, 3}, Shape{{256}, 256}}) {
    int64_t k = s.x.back(), m = product(s.x) / k;
    std::vector<int64_t> outShape = s.x;
    outShape.back() = s.n;
    Pair x(dt, s.x, floats(dt, m * k, 1));
    Pair w(dt, {k, s.n}, floats(dt, k * s.n, 2));
    Pair out(dt, outShape);
    ASSERT_EQ(mfrt_cuda_linear_fwd(x.d(), w.d(), out.d()), MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_linear_fwd(x.h(), w.h(), out.h()), MFRT_OK);
    EXPECT_MATCHES_CPU(out);

    Pair dout(dt, outShape, floats(dt, m * s.n, 3));
    Pair dx(dt, s.x), dw(dt, {k, s.n});
    ASSERT_EQ(mfrt_cuda_linear_bwd(x.d(), w.d(), dout.d(), dx.d(), dw.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_linear_bwd(x.h(), w.h(), dout.h(), dx.h(), dw.h()),
              MFRT_OK);
    EXPECT_MATCHES_CPU(dx);
    EXPECT_MATCHES_CPU(dw);
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, LinearTest, storageDtypes(), dtypeName);

TEST(LinearTest, RejectsBadArguments) {
  MFRT_REQUIRE_DEVICE();
  Pair x(MFRT_F32, {4, 3}, floats(MFRT_F32, 12, 1));
  Pair w(MFRT_F32, {4, 3}, floats(MFRT_F32, 12, 2));
  Pair out(MFRT_F32, {4, 3});
  EXPECT_EQ(mfrt_cuda_linear_fwd(x.d(), w.d(), out.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions(
      "mfrt_cuda_linear_fwd: w: expected shape [3, ?], got [4, 3]"));

  Pair wb(MFRT_BF16, {3, 3}, floats(MFRT_BF16, 9, 2));
  EXPECT_EQ(mfrt_cuda_linear_fwd(x.d(), wb.d(), out.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("w: dtype bf16 differs from the call's f32"));

  Pair w3(MFRT_F32, {3, 3}, floats(MFRT_F32, 9, 2));
  Pair dout(MFRT_F32, {4, 2}, floats(MFRT_F32, 8, 3));
  EXPECT_EQ(mfrt_cuda_linear_bwd(x.d(), w3.d(), dout.d(), nullptr, nullptr),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("dout: expected shape [4, 3], got [4, 2]"));
}

} // namespace
