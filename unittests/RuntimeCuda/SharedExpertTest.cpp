//===- SharedExpertTest.cpp - the shared expert vs the CPU ---------------===//

#include "DenseTestSupport.h"

using namespace mfrt::test;

namespace {

class SharedExpertTest : public ::testing::TestWithParam<mfrt_dtype> {};

TEST_P(SharedExpertTest, ForwardAndBackwardMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = GetParam();
  struct Shape {
    std::vector<int64_t> x;
    int64_t f;
    bool gated;
  };
  for (const Shape &s : {Shape{{2, 64, 64}, 96, false},
                         Shape{{2, 64, 64}, 96, true},
                         Shape{{7, 5}, 3, true}}) {
    int64_t h = s.x.back(), n = product(s.x);
    Pair x(dt, s.x, floats(dt, n, 1));
    Pair wg(dt, {h, s.f}, floats(dt, h * s.f, 2, -0.3, 0.3));
    Pair wu(dt, {h, s.f}, floats(dt, h * s.f, 3, -0.3, 0.3));
    Pair wd(dt, {s.f, h}, floats(dt, s.f * h, 4, -0.3, 0.3));
    Pair gate(dt, {h, 1}, floats(dt, h, 5, -0.3, 0.3));
    const mfrt_tensor *gd = s.gated ? gate.d() : nullptr;
    const mfrt_tensor *gh = s.gated ? gate.h() : nullptr;
    Pair out(dt, s.x);
    ASSERT_EQ(mfrt_cuda_shared_expert_fwd(x.d(), wg.d(), wu.d(), wd.d(), gd,
                                          out.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(
        mfrt_shared_expert_fwd(x.h(), wg.h(), wu.h(), wd.h(), gh, out.h()),
        MFRT_OK);
    EXPECT_MATCHES_CPU(out);

    Pair dout(dt, s.x, floats(dt, n, 6));
    Pair dx(dt, s.x), dwg(dt, {h, s.f}), dwu(dt, {h, s.f}), dwd(dt, {s.f, h}),
        dgate(dt, {h, 1});
    ASSERT_EQ(mfrt_cuda_shared_expert_bwd(
                  x.d(), wg.d(), wu.d(), wd.d(), gd, dout.d(), dx.d(),
                  dwg.d(), dwu.d(), dwd.d(), s.gated ? dgate.d() : nullptr),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_shared_expert_bwd(x.h(), wg.h(), wu.h(), wd.h(), gh,
                                     dout.h(), dx.h(), dwg.h(), dwu.h(),
                                     dwd.h(), s.gated ? dgate.h() : nullptr),
              MFRT_OK);
    EXPECT_MATCHES_CPU(dx);
    EXPECT_MATCHES_CPU(dwg);
    EXPECT_MATCHES_CPU(dwu);
    EXPECT_MATCHES_CPU(dwd);
    if (s.gated) {
      EXPECT_MATCHES_CPU(dgate);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, SharedExpertTest, storageDtypes(), dtypeName);

TEST(SharedExpertTest, RejectsBadArguments) {
  MFRT_REQUIRE_DEVICE();
  Pair x(MFRT_F32, {4, 8}, floats(MFRT_F32, 32, 1));
  Pair wg(MFRT_F32, {8, 6}, floats(MFRT_F32, 48, 2));
  Pair wu(MFRT_F32, {8, 6}, floats(MFRT_F32, 48, 3));
  Pair wdBad(MFRT_F32, {6, 7}, floats(MFRT_F32, 42, 4));
  Pair out(MFRT_F32, {4, 8});
  EXPECT_EQ(mfrt_cuda_shared_expert_fwd(x.d(), wg.d(), wu.d(), wdBad.d(),
                                        nullptr, out.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("mfrt_cuda_shared_expert_fwd: w_down: expected "
                            "shape [6, 8], got [6, 7]"));

  Pair wd(MFRT_F32, {6, 8}, floats(MFRT_F32, 48, 4));
  Pair dout(MFRT_F32, {4, 8}, floats(MFRT_F32, 32, 5));
  Pair dgate(MFRT_F32, {8, 1});
  EXPECT_EQ(mfrt_cuda_shared_expert_bwd(x.d(), wg.d(), wu.d(), wd.d(), nullptr,
                                        dout.d(), nullptr, nullptr, nullptr,
                                        nullptr, dgate.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("dgate: given but the shared expert has no gate"));
}

} // namespace
