//===- CombineTest.cpp - combine fwd/bwd: cuda vs the CPU backend --------===//

#include "MoeTestUtil.h"

using namespace mfrt::test;

namespace {

struct Case {
  int64_t t, h, e, k, empty;
};

const Case kCases[] = {
    {17, 9, 5, 2, 2}, {6, 4, 3, 1, 0}, {11, 6, 12, 8, 4}, {130, 20, 8, 2, 7}};

class CombineTest : public ::testing::TestWithParam<mfrt_dtype> {};

TEST_P(CombineTest, WeightedAndUnweightedMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = GetParam(), rt = refType(dt);
  bool bf16 = dt == MFRT_BF16;
  double tol = toleranceFor(dt);
  for (const Case &c : kCases)
    for (bool weighted : {true, false}) {
      SCOPED_TRACE("e=" + std::to_string(c.e) + " k=" + std::to_string(c.k) +
                   (weighted ? " weighted" : " unweighted"));
      int64_t n = c.t * c.k;
      std::vector<int64_t> is = {c.t, c.k}, os = {c.t, c.h}, es = {n, c.h};
      auto ev = randomValues(n * c.h, 21, -1, 1, bf16);
      auto iv = skewedIndices(n, c.e, 22, c.empty);
      auto sv = randomValues(n, 23, 0, 1, bf16);
      auto gv = randomValues(c.t * c.h, 24, -1, 1, bf16);
      DeviceTensor eo(dt, es), idx(MFRT_I32, is), sc(dt, is), out(dt, os),
          dout(dt, os), deo(dt, es), dsc(dt, is);
      eo.upload(ev);
      idx.upload(iv);
      sc.upload(sv);
      dout.upload(gv);
      HostTensor heo(rt, es, ev), hidx(MFRT_I32, is, iv), hsc(rt, is, sv),
          hout(rt, os), hdout(rt, os, gv), hdeo(rt, es), hdsc(rt, is);
      const mfrt_tensor *s = weighted ? sc.desc() : nullptr;
      const mfrt_tensor *hs = weighted ? hsc.desc() : nullptr;

      ASSERT_EQ(mfrt_cuda_combine_fwd(eo.desc(), idx.desc(), s, c.e,
                                      out.desc()),
                MFRT_OK)
          << mfrt_last_error();
      ASSERT_EQ(mfrt_combine_fwd(heo.desc(), hidx.desc(), hs, c.e,
                                 hout.desc()),
                MFRT_OK);
      EXPECT_LE(maxRelativeError(out.download(), hout.values()), tol);

      ASSERT_EQ(mfrt_cuda_combine_bwd(eo.desc(), idx.desc(), s, c.e,
                                      dout.desc(), deo.desc(),
                                      weighted ? dsc.desc() : nullptr),
                MFRT_OK)
          << mfrt_last_error();
      ASSERT_EQ(mfrt_combine_bwd(heo.desc(), hidx.desc(), hs, c.e,
                                 hdout.desc(), hdeo.desc(),
                                 weighted ? hdsc.desc() : nullptr),
                MFRT_OK);
      EXPECT_LE(maxRelativeError(deo.download(), hdeo.values()), tol);
      if (weighted) {
        EXPECT_LE(scaledError(dsc.download(), hdsc.values(), dt), tol);
      }
    }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, CombineTest, storageDtypes(), dtypeName);

/// combine(dispatch(x)) with unit scores sums the k copies of each token:
/// 2 x for k = 2 (an identity of the shared permutation, independent of the
/// CPU backend).
TEST(CombineTest, UndoesDispatch) {
  MFRT_REQUIRE_DEVICE();
  DeviceTensor x(MFRT_F32, {9, 5}), idx(MFRT_I32, {9, 2}),
      sorted(MFRT_F32, {18, 5}), gs(MFRT_I32, {4}), out(MFRT_F32, {9, 5});
  auto xv = randomValues(45, 5);
  x.upload(xv);
  idx.upload(skewedIndices(18, 4, 6, 2));
  ASSERT_EQ(mfrt_cuda_dispatch_fwd(x.desc(), idx.desc(), 4, sorted.desc(),
                                   gs.desc()),
            MFRT_OK);
  ASSERT_EQ(mfrt_cuda_combine_fwd(sorted.desc(), idx.desc(), nullptr, 4,
                                  out.desc()),
            MFRT_OK)
      << mfrt_last_error();
  for (double &v : xv)
    v = double(float(v) + float(v));
  EXPECT_EQ(out.download(), xv);
}

TEST(CombineTest, RejectsBadArguments) {
  MFRT_REQUIRE_DEVICE();
  DeviceTensor eo(MFRT_F32, {8, 3}), idx(MFRT_I32, {4, 2}),
      sc(MFRT_F32, {4, 2}), out(MFRT_F32, {4, 3}), dout(MFRT_F32, {4, 3}),
      dsc(MFRT_F32, {4, 2});
  idx.upload({0, 1, 2, 1, 9, 2, 2, 1});
  std::vector<double> sentinel(12, 3.0);
  out.upload(sentinel);
  EXPECT_EQ(mfrt_cuda_combine_fwd(eo.desc(), idx.desc(), sc.desc(), 3,
                                  out.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("mfrt_cuda_combine_fwd: indices: value 9 at flat "
                           "position 4 is outside [0, 3)"))
      << mfrt_last_error();
  EXPECT_EQ(out.download(), sentinel);
  idx.upload({0, 1, 2, 1, 0, 2, 2, 1});
  EXPECT_EQ(mfrt_cuda_combine_bwd(eo.desc(), idx.desc(), nullptr, 3,
                                  dout.desc(), nullptr, dsc.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("dscores requested without scores"))
      << mfrt_last_error();
  DeviceTensor outBad(MFRT_F32, {4, 4});
  EXPECT_EQ(mfrt_cuda_combine_fwd(eo.desc(), idx.desc(), sc.desc(), 3,
                                  outBad.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("out: expected shape [4, 3], got [4, 4]"))
      << mfrt_last_error();
}

} // namespace
