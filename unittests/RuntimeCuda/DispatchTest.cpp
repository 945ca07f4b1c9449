//===- DispatchTest.cpp - dispatch / dispatch_rows: cuda vs the CPU ------===//

#include "MoeTestUtil.h"

using namespace mfrt::test;

namespace {

struct Case {
  int64_t b, s, h, e, k, empty;
};

// k = 1 and k = 8, an expert with no tokens, uneven groups, and enough
// copies (400) for several chunks of the device counting sort.
const Case kCases[] = {{2, 15, 12, 6, 2, 3},  {1, 9, 7, 4, 1, 1},
                       {2, 7, 5, 10, 8, 9},   {4, 50, 33, 16, 2, 5},
                       {1, 5, 3, 1, 1, -1}};

class DispatchTest : public ::testing::TestWithParam<mfrt_dtype> {};

TEST_P(DispatchTest, ForwardBackwardRowsMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = GetParam(), rt = refType(dt);
  bool bf16 = dt == MFRT_BF16;
  double tol = toleranceFor(dt);
  for (const Case &c : kCases) {
    SCOPED_TRACE("e=" + std::to_string(c.e) + " k=" + std::to_string(c.k));
    int64_t t = c.b * c.s, n = t * c.k;
    std::vector<int64_t> xs = {c.b, c.s, c.h}, is = {c.b, c.s, c.k},
                         ss = {n, c.h};
    auto xv = randomValues(t * c.h, 11, -1, 1, bf16);
    auto iv = skewedIndices(n, c.e, 12, c.empty);
    auto sv = randomValues(n, 13, 0, 1, bf16);
    auto gv = randomValues(n * c.h, 14, -1, 1, bf16);

    DeviceTensor x(dt, xs), idx(MFRT_I32, is), sc(dt, is), sorted(dt, ss),
        gs(MFRT_I32, {c.e}), rows(MFRT_I32, is), dsorted(dt, ss),
        dx(dt, xs), dsc(dt, is);
    x.upload(xv);
    idx.upload(iv);
    sc.upload(sv);
    dsorted.upload(gv);
    HostTensor hx(rt, xs, xv), hidx(MFRT_I32, is, iv), hsc(rt, is, sv),
        hsorted(rt, ss), hgs(MFRT_I32, {c.e}), hrows(MFRT_I32, is),
        hdsorted(rt, ss, gv), hdx(rt, xs), hdsc(rt, is);

    // Plain dispatch: an exact row copy, exact group sizes.
    ASSERT_EQ(mfrt_cuda_dispatch_fwd(x.desc(), idx.desc(), c.e, sorted.desc(),
                                     gs.desc()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_dispatch_fwd(hx.desc(), hidx.desc(), c.e, hsorted.desc(),
                                hgs.desc()),
              MFRT_OK);
    EXPECT_EQ(sorted.download(), hsorted.values());
    EXPECT_EQ(gs.download(), hgs.values());
    if (c.empty >= 0) {
      EXPECT_EQ(gs.download()[size_t(c.empty)], 0);
    }

    ASSERT_EQ(mfrt_cuda_dispatch_rows(idx.desc(), c.e, rows.desc()), MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_dispatch_rows(hidx.desc(), c.e, hrows.desc()), MFRT_OK);
    EXPECT_EQ(rows.download(), hrows.values());

    ASSERT_EQ(mfrt_cuda_dispatch_bwd(idx.desc(), c.e, dsorted.desc(),
                                     dx.desc()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_dispatch_bwd(hidx.desc(), c.e, hdsorted.desc(), hdx.desc()),
              MFRT_OK);
    EXPECT_LE(maxRelativeError(dx.download(), hdx.values()), tol);

    // Scaled dispatch.
    ASSERT_EQ(mfrt_cuda_dispatch_scaled_fwd(x.desc(), idx.desc(), sc.desc(),
                                            c.e, sorted.desc(), gs.desc()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_dispatch_scaled_fwd(hx.desc(), hidx.desc(), hsc.desc(), c.e,
                                       hsorted.desc(), hgs.desc()),
              MFRT_OK);
    EXPECT_LE(maxRelativeError(sorted.download(), hsorted.values()), tol);
    EXPECT_EQ(gs.download(), hgs.values());

    ASSERT_EQ(mfrt_cuda_dispatch_scaled_bwd(x.desc(), idx.desc(), sc.desc(),
                                            c.e, dsorted.desc(), dx.desc(),
                                            dsc.desc()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_dispatch_scaled_bwd(hx.desc(), hidx.desc(), hsc.desc(), c.e,
                                       hdsorted.desc(), hdx.desc(),
                                       hdsc.desc()),
              MFRT_OK);
    EXPECT_LE(maxRelativeError(dx.download(), hdx.values()), tol);
    EXPECT_LE(scaledError(dsc.download(), hdsc.values(), dt), tol);
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, DispatchTest, storageDtypes(), dtypeName);

/// The sorted order is stable within an expert: a hand-checked example
/// (independent of the CPU backend).
TEST(DispatchTest, RowsAreAStableCountingSort) {
  MFRT_REQUIRE_DEVICE();
  // Copies (t, k) in flat order: experts 2 0 | 1 2 | 0 2.
  DeviceTensor idx(MFRT_I32, {3, 2}), rows(MFRT_I32, {3, 2});
  idx.upload({2, 0, 1, 2, 0, 2});
  ASSERT_EQ(mfrt_cuda_dispatch_rows(idx.desc(), 4, rows.desc()), MFRT_OK)
      << mfrt_last_error();
  // Expert 0: copies 1, 4 -> rows 0, 1; expert 1: copy 2 -> row 2;
  // expert 2: copies 0, 3, 5 -> rows 3, 4, 5; expert 3: none.
  EXPECT_EQ(rows.download(), (std::vector<double>{3, 0, 2, 4, 1, 5}));
}

TEST(DispatchTest, RejectsOutOfRangeIndicesAndWritesNothing) {
  MFRT_REQUIRE_DEVICE();
  DeviceTensor x(MFRT_F32, {4, 3}), idx(MFRT_I32, {4, 2}),
      sorted(MFRT_F32, {8, 3}), gs(MFRT_I32, {3});
  x.upload(randomValues(12, 1));
  std::vector<double> sentinel(24, 7.0), gsSentinel(3, -5);
  sorted.upload(sentinel);
  gs.upload(gsSentinel);
  idx.upload({0, 1, 2, 1, 0, 3, 2, -1});
  EXPECT_EQ(mfrt_cuda_dispatch_fwd(x.desc(), idx.desc(), 3, sorted.desc(),
                                   gs.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("mfrt_cuda_dispatch_fwd: indices: value 3 at flat "
                           "position 5 is outside [0, 3)"))
      << mfrt_last_error();
  EXPECT_EQ(sorted.download(), sentinel);
  EXPECT_EQ(gs.download(), gsSentinel);

  DeviceTensor rows(MFRT_I32, {4, 2});
  idx.upload({0, 1, 2, 1, 0, 2, 2, -1});
  EXPECT_EQ(mfrt_cuda_dispatch_rows(idx.desc(), 3, rows.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("value -1 at flat position 7")) << mfrt_last_error();
  EXPECT_EQ(mfrt_cuda_dispatch_rows(idx.desc(), 0, rows.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("num_experts: expected a positive count, got 0"))
      << mfrt_last_error();
}

TEST(DispatchTest, RejectsBadShapesAndDtypes) {
  MFRT_REQUIRE_DEVICE();
  DeviceTensor x(MFRT_F32, {4, 3}), idx(MFRT_I32, {4, 2}),
      sortedBad(MFRT_F32, {7, 3}), gs(MFRT_I32, {3}), sc(MFRT_BF16, {4, 2}),
      sorted(MFRT_F32, {8, 3});
  idx.upload({0, 1, 2, 1, 0, 2, 2, 1});
  EXPECT_EQ(mfrt_cuda_dispatch_fwd(x.desc(), idx.desc(), 3, sortedBad.desc(),
                                   gs.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("sorted: expected shape [8, 3], got [7, 3]"))
      << mfrt_last_error();
  EXPECT_EQ(mfrt_cuda_dispatch_scaled_fwd(x.desc(), idx.desc(), sc.desc(), 3,
                                          sorted.desc(), gs.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("scores: dtype bf16 differs")) << mfrt_last_error();
  EXPECT_EQ(mfrt_cuda_dispatch_scaled_fwd(x.desc(), idx.desc(), nullptr, 3,
                                          sorted.desc(), gs.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("scores: NULL tensor descriptor"))
      << mfrt_last_error();
}

} // namespace
