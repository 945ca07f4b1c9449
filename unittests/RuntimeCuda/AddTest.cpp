//===- AddTest.cpp - moe.add on the cuda backend vs the CPU backend ------===//

#include "DeviceTensor.h"

using namespace mfrt::test;

namespace {

class AddTest : public ::testing::TestWithParam<mfrt_dtype> {};

TEST_P(AddTest, ForwardAndBackwardMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dtype = GetParam();
  bool bf16 = dtype == MFRT_BF16;
  mfrt_dtype ref = dtype == MFRT_F64 ? MFRT_F64 : MFRT_F32;
  std::vector<int64_t> shape = {3, 5, 7};
  int64_t n = 3 * 5 * 7;
  auto av = randomValues(n, 1, -1, 1, bf16), bv = randomValues(n, 2, -1, 1, bf16);

  DeviceTensor a(dtype, shape), b(dtype, shape), out(dtype, shape);
  a.upload(av);
  b.upload(bv);
  ASSERT_EQ(mfrt_cuda_add_fwd(a.desc(), b.desc(), out.desc()), MFRT_OK)
      << mfrt_last_error();
  HostTensor ha(ref, shape, av), hb(ref, shape, bv), hout(ref, shape);
  ASSERT_EQ(mfrt_add_fwd(ha.desc(), hb.desc(), hout.desc()), MFRT_OK);
  EXPECT_LE(maxRelativeError(out.download(), hout.values()), toleranceFor(dtype));

  DeviceTensor da(dtype, shape);
  ASSERT_EQ(mfrt_cuda_add_bwd(out.desc(), da.desc(), nullptr), MFRT_OK)
      << mfrt_last_error();
  EXPECT_EQ(da.download(), out.download());
}

INSTANTIATE_TEST_SUITE_P(Dtypes, AddTest, storageDtypes(), dtypeName);

TEST(AddTest, RejectsMixedDtypes) {
  MFRT_REQUIRE_DEVICE();
  DeviceTensor a(MFRT_F32, {4}), b(MFRT_BF16, {4}), out(MFRT_F32, {4});
  EXPECT_EQ(mfrt_cuda_add_fwd(a.desc(), b.desc(), out.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mfrt_last_error()).find("b: dtype bf16 differs"),
            std::string::npos)
      << mfrt_last_error();
}

} // namespace
