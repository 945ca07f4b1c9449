//===- ExpertsTest.cpp - grouped SwiGLU experts, peer counts: cuda vs CPU -===//

#include "MoeTestUtil.h"

using namespace mfrt::test;

namespace {

struct Case {
  const char *name;
  int64_t e, h, f;
  std::vector<double> sizes; // G = a multiple of E
  int64_t padding;           // rows past the groups' sum
};

const std::vector<Case> &cases() {
  static const std::vector<Case> c = {
      // Uneven groups, expert 2 without rows, two padding rows.
      {"uneven", 4, 16, 24, {5, 1, 0, 9}, 2},
      // Two rounds (peer-major groups): expert 1 empty in round 0 only,
      // expert 3 empty in both.
      {"two rounds", 4, 8, 12, {3, 0, 2, 0, 1, 4, 0, 0}, 0},
      // One expert, every row.
      {"single", 1, 6, 10, {7}, 3},
      // Every group empty: all rows are padding.
      {"empty", 3, 5, 4, {0, 0, 0}, 4},
  };
  return c;
}

class ExpertsTest : public ::testing::TestWithParam<mfrt_dtype> {};

TEST_P(ExpertsTest, ForwardAndBackwardMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = GetParam(), rt = refType(dt);
  bool bf16 = dt == MFRT_BF16;
  double tol = toleranceFor(dt);
  for (const Case &c : cases()) {
    SCOPED_TRACE(c.name);
    int64_t g = int64_t(c.sizes.size()), n = c.padding;
    for (double s : c.sizes)
      n += int64_t(s);
    std::vector<int64_t> xs = {n, c.h}, gw = {c.e, c.h, c.f},
                         dw = {c.e, c.f, c.h};
    auto xv = randomValues(n * c.h, 41, -1, 1, bf16);
    auto wgv = randomValues(c.e * c.h * c.f, 42, -0.5, 0.5, bf16);
    auto wuv = randomValues(c.e * c.h * c.f, 43, -0.5, 0.5, bf16);
    auto wdv = randomValues(c.e * c.f * c.h, 44, -0.5, 0.5, bf16);
    auto gv = randomValues(n * c.h, 45, -1, 1, bf16);
    DeviceTensor x(dt, xs), gs(MFRT_I32, {g}), wg(dt, gw), wu(dt, gw),
        wd(dt, dw), out(dt, xs), dout(dt, xs), dx(dt, xs), dwg(dt, gw),
        dwu(dt, gw), dwd(dt, dw);
    x.upload(xv);
    gs.upload(c.sizes);
    wg.upload(wgv);
    wu.upload(wuv);
    wd.upload(wdv);
    dout.upload(gv);
    // Stale values everywhere the kernels must overwrite (padding rows,
    // gradients of experts without rows).
    out.upload(std::vector<double>(size_t(n * c.h), 9.0));
    dx.upload(std::vector<double>(size_t(n * c.h), 9.0));
    dwg.upload(std::vector<double>(size_t(c.e * c.h * c.f), 9.0));
    dwd.upload(std::vector<double>(size_t(c.e * c.f * c.h), 9.0));
    HostTensor hx(rt, xs, xv), hgs(MFRT_I32, {g}, c.sizes), hwg(rt, gw, wgv),
        hwu(rt, gw, wuv), hwd(rt, dw, wdv), hout(rt, xs), hdout(rt, xs, gv),
        hdx(rt, xs), hdwg(rt, gw), hdwu(rt, gw), hdwd(rt, dw);

    ASSERT_EQ(mfrt_cuda_experts_fwd(x.desc(), gs.desc(), wg.desc(), wu.desc(),
                                    wd.desc(), out.desc()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_experts_fwd(hx.desc(), hgs.desc(), hwg.desc(), hwu.desc(),
                               hwd.desc(), hout.desc()),
              MFRT_OK);
    EXPECT_LE(scaledError(out.download(), hout.values(), dt), tol);

    ASSERT_EQ(mfrt_cuda_experts_bwd(x.desc(), gs.desc(), wg.desc(), wu.desc(),
                                    wd.desc(), dout.desc(), dx.desc(),
                                    dwg.desc(), dwu.desc(), dwd.desc()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_experts_bwd(hx.desc(), hgs.desc(), hwg.desc(), hwu.desc(),
                               hwd.desc(), hdout.desc(), hdx.desc(),
                               hdwg.desc(), hdwu.desc(), hdwd.desc()),
              MFRT_OK);
    EXPECT_LE(scaledError(dx.download(), hdx.values(), dt), tol);
    EXPECT_LE(scaledError(dwg.download(), hdwg.values(), dt), tol);
    EXPECT_LE(scaledError(dwu.download(), hdwu.values(), dt), tol);
    EXPECT_LE(scaledError(dwd.download(), hdwd.values(), dt), tol);

    // Optional outputs: only dw_up.
    DeviceTensor dwu2(dt, gw);
    ASSERT_EQ(mfrt_cuda_experts_bwd(x.desc(), gs.desc(), wg.desc(), wu.desc(),
                                    wd.desc(), dout.desc(), nullptr, nullptr,
                                    dwu2.desc(), nullptr),
              MFRT_OK)
        << mfrt_last_error();
    EXPECT_EQ(dwu2.download(), dwu.download());
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ExpertsTest, storageDtypes(), dtypeName);

TEST(ExpertsTest, RejectsBadGroupSizes) {
  MFRT_REQUIRE_DEVICE();
  DeviceTensor x(MFRT_F32, {6, 4}), wg(MFRT_F32, {2, 4, 3}),
      wu(MFRT_F32, {2, 4, 3}), wd(MFRT_F32, {2, 3, 4}), out(MFRT_F32, {6, 4});
  std::vector<double> sentinel(24, 5.0);
  out.upload(sentinel);
  DeviceTensor neg(MFRT_I32, {2}), big(MFRT_I32, {2}), odd(MFRT_I32, {3});
  neg.upload({3, -1});
  big.upload({4, 3});
  odd.upload({1, 1, 1});
  EXPECT_EQ(mfrt_cuda_experts_fwd(x.desc(), neg.desc(), wg.desc(), wu.desc(),
                                  wd.desc(), out.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("group_sizes: negative size -1 for group 1"))
      << mfrt_last_error();
  EXPECT_EQ(mfrt_cuda_experts_fwd(x.desc(), big.desc(), wg.desc(), wu.desc(),
                                  wd.desc(), out.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("sizes sum to 7 but sorted has 6 rows"))
      << mfrt_last_error();
  EXPECT_EQ(mfrt_cuda_experts_fwd(x.desc(), odd.desc(), wg.desc(), wu.desc(),
                                  wd.desc(), out.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("3 groups is not a multiple of the 2 experts"))
      << mfrt_last_error();
  EXPECT_EQ(out.download(), sentinel);
  DeviceTensor wdBad(MFRT_F32, {2, 4, 3});
  EXPECT_EQ(mfrt_cuda_experts_fwd(x.desc(), big.desc(), wg.desc(), wu.desc(),
                                  wdBad.desc(), out.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("w_down: expected shape [2, 3, 4], got [2, 4, 3]"))
      << mfrt_last_error();
}

TEST(PeerCountsTest, MatchesCpu) {
  MFRT_REQUIRE_DEVICE();
  std::vector<double> counts = {3, 0, 7, 1, 0, 0, 2, 5};
  for (int64_t peers : {1, 2, 4, 8}) {
    DeviceTensor c(MFRT_I32, {8}), out(MFRT_I32, {peers});
    c.upload(counts);
    HostTensor hc(MFRT_I32, {8}, counts), hout(MFRT_I32, {peers});
    ASSERT_EQ(mfrt_cuda_peer_counts(c.desc(), peers, out.desc()), MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_peer_counts(hc.desc(), peers, hout.desc()), MFRT_OK);
    EXPECT_EQ(out.download(), hout.values());
  }
}

TEST(PeerCountsTest, RejectsBadCounts) {
  MFRT_REQUIRE_DEVICE();
  DeviceTensor c(MFRT_I32, {6}), out(MFRT_I32, {3}), out4(MFRT_I32, {4});
  std::vector<double> sentinel = {-7, -7, -7};
  out.upload(sentinel);
  c.upload({1, 2, 3, -4, 5, 6});
  EXPECT_EQ(mfrt_cuda_peer_counts(c.desc(), 3, out.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("counts: negative entry -4 at 3"))
      << mfrt_last_error();
  EXPECT_EQ(out.download(), sentinel);
  c.upload({1, 2, 2147483647, 1, 5, -6});
  EXPECT_EQ(mfrt_cuda_peer_counts(c.desc(), 3, out.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("counts: block 1 sums to 2147483648, over the i32"))
      << mfrt_last_error();
  EXPECT_EQ(mfrt_cuda_peer_counts(c.desc(), 4, out4.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("peers = 4 does not divide the 6 counts"))
      << mfrt_last_error();
}

} // namespace
