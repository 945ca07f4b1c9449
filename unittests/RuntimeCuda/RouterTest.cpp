//===- RouterTest.cpp - router fwd/bwd: cuda vs the CPU backend ----------===//

#include "MoeTestUtil.h"

#include <algorithm>

using namespace mfrt::test;

namespace {

struct Config {
  mfrt_router_scoring scoring;
  bool bias;
  int32_t renormalize;
  int64_t e, k;
};

const Config kConfigs[] = {
    {MFRT_SCORING_SOFTMAX, false, 0, 8, 2},
    {MFRT_SCORING_SOFTMAX, false, 1, 16, 8},
    {MFRT_SCORING_SOFTMAX, true, 1, 6, 1},
    {MFRT_SCORING_SIGMOID, true, 1, 16, 8},
    {MFRT_SCORING_SIGMOID, false, 0, 5, 1},
    {MFRT_SCORING_SIGMOID, true, 0, 64, 4},
};

std::string describe(const Config &c) {
  return std::string(c.scoring == MFRT_SCORING_SOFTMAX ? "softmax" : "sigmoid") +
         (c.bias ? " bias" : "") + (c.renormalize ? " renorm" : "") +
         " e=" + std::to_string(c.e) + " k=" + std::to_string(c.k);
}

/// The top-k of probs + bias per token, descending, ties to the lower id:
/// an independent reading of the selection rule.
std::vector<double> topK(const std::vector<double> &probs,
                         const std::vector<double> &bias, int64_t t,
                         int64_t e, int64_t k) {
  std::vector<double> out;
  for (int64_t i = 0; i < t; ++i) {
    std::vector<int64_t> ids(static_cast<size_t>(e));
    for (int64_t j = 0; j < e; ++j)
      ids[size_t(j)] = j;
    auto key = [&](int64_t j) {
      return probs[size_t(i * e + j)] + (bias.empty() ? 0 : bias[size_t(j)]);
    };
    std::stable_sort(ids.begin(), ids.end(),
                     [&](int64_t a, int64_t b) { return key(a) > key(b); });
    for (int64_t s = 0; s < k; ++s)
      out.push_back(double(ids[size_t(s)]));
  }
  return out;
}

class RouterTest : public ::testing::TestWithParam<mfrt_dtype> {};

TEST_P(RouterTest, ForwardAndBackwardMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = GetParam(), rt = refType(dt);
  bool bf16 = dt == MFRT_BF16;
  double tol = toleranceFor(dt);
  const int64_t b = 3, s = 13, t = b * s, h = 24;
  for (const Config &c : kConfigs) {
    SCOPED_TRACE(describe(c));
    std::vector<int64_t> xs = {b, s, h}, ws = {h, c.e}, ks = {b, s, c.k},
                         ps = {b, s, c.e};
    auto xv = randomValues(t * h, 31, -1, 1, bf16);
    auto wv = randomValues(h * c.e, 32, -1, 1, bf16);
    auto bv = c.bias ? randomValues(c.e, 33, -0.2, 0.2, bf16)
                     : std::vector<double>();
    DeviceTensor x(dt, xs), w(dt, ws), bias(dt, {c.e}), sc(dt, ks),
        idx(MFRT_I32, ks), probs(dt, ps);
    x.upload(xv);
    w.upload(wv);
    if (c.bias)
      bias.upload(bv);
    HostTensor hx(rt, xs, xv), hw(rt, ws, wv), hbias(rt, {c.e}, bv),
        hsc(rt, ks), hidx(MFRT_I32, ks), hprobs(rt, ps);
    ASSERT_EQ(mfrt_cuda_router_fwd(x.desc(), w.desc(),
                                   c.bias ? bias.desc() : nullptr, c.scoring,
                                   c.k, c.renormalize, sc.desc(), idx.desc(),
                                   probs.desc()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_router_fwd(hx.desc(), hw.desc(),
                              c.bias ? hbias.desc() : nullptr, c.scoring, c.k,
                              c.renormalize, hsc.desc(), hidx.desc(),
                              hprobs.desc()),
              MFRT_OK);
    auto p = probs.download();
    EXPECT_LE(maxRelativeError(p, hprobs.values()), tol);
    // The selection follows the rule on the device's own probs; in f32/f64
    // it is also exactly the CPU's (bf16 probs may tie where f32 ones do
    // not).
    EXPECT_EQ(idx.download(), topK(p, bv, t, c.e, c.k));
    if (!bf16) {
      EXPECT_EQ(idx.download(), hidx.values());
      EXPECT_LE(maxRelativeError(sc.download(), hsc.values()), tol);
    }

    // Backward from the CPU's forward outputs (the same inputs for both).
    auto pv = hprobs.values(), iv = hidx.values();
    if (bf16)
      for (double &v : pv)
        v = roundBf16(float(v));
    auto dsv = randomValues(t * c.k, 34, -1, 1, bf16);
    auto dpv = randomValues(t * c.e, 35, -0.5, 0.5, bf16);
    for (bool withDprobs : {true, false}) {
      SCOPED_TRACE(withDprobs ? "with dprobs" : "without dprobs");
      DeviceTensor pr(dt, ps), ix(MFRT_I32, ks), ds(dt, ks), dp(dt, ps),
          dx(dt, xs), dw(dt, ws);
      pr.upload(pv);
      ix.upload(iv);
      ds.upload(dsv);
      dp.upload(dpv);
      HostTensor hpr(rt, ps, pv), hds(rt, ks, dsv), hdp(rt, ps, dpv),
          hdx(rt, xs), hdw(rt, ws);
      ASSERT_EQ(mfrt_cuda_router_bwd(x.desc(), w.desc(), c.scoring,
                                     c.renormalize, pr.desc(), ix.desc(),
                                     ds.desc(), withDprobs ? dp.desc() : nullptr,
                                     dx.desc(), dw.desc()),
                MFRT_OK)
          << mfrt_last_error();
      ASSERT_EQ(mfrt_router_bwd(hx.desc(), hw.desc(), c.scoring,
                                c.renormalize, hpr.desc(), hidx.desc(),
                                hds.desc(), withDprobs ? hdp.desc() : nullptr,
                                hdx.desc(), hdw.desc()),
                MFRT_OK);
      EXPECT_LE(scaledError(dx.download(), hdx.values(), dt), tol);
      EXPECT_LE(scaledError(dw.download(), hdw.values(), dt), tol);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, RouterTest, storageDtypes(), dtypeName);

/// Equal logits: the selection takes the lower expert ids first.
TEST(RouterTest, TiesGoToTheLowerExpertId) {
  MFRT_REQUIRE_DEVICE();
  DeviceTensor x(MFRT_F32, {2, 2}), w(MFRT_F32, {2, 4}), sc(MFRT_F32, {2, 3}),
      idx(MFRT_I32, {2, 3}), probs(MFRT_F32, {2, 4});
  x.upload({1, 0, 0, 1});
  // Token 0 logits 1 2 2 1; token 1 logits 0 0 0 0.
  w.upload({1, 2, 2, 1, 0, 0, 0, 0});
  ASSERT_EQ(mfrt_cuda_router_fwd(x.desc(), w.desc(), nullptr,
                                 MFRT_SCORING_SOFTMAX, 3, 0, sc.desc(),
                                 idx.desc(), probs.desc()),
            MFRT_OK)
      << mfrt_last_error();
  EXPECT_EQ(idx.download(), (std::vector<double>{1, 2, 0, 0, 1, 2}));
}

TEST(RouterTest, RejectsBadArguments) {
  MFRT_REQUIRE_DEVICE();
  DeviceTensor x(MFRT_F32, {3, 4}), w(MFRT_F32, {4, 5}), sc(MFRT_F32, {3, 2}),
      idx(MFRT_I32, {3, 2}), probs(MFRT_F32, {3, 5}), dx(MFRT_F32, {3, 4});
  EXPECT_EQ(mfrt_cuda_router_fwd(x.desc(), w.desc(), nullptr,
                                 MFRT_SCORING_SOFTMAX, 6, 0, sc.desc(),
                                 idx.desc(), probs.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("top_k: expected a value in [1, 5], got 6"))
      << mfrt_last_error();
  EXPECT_EQ(mfrt_cuda_router_fwd(x.desc(), w.desc(), nullptr,
                                 static_cast<mfrt_router_scoring>(7), 2, 0,
                                 sc.desc(), idx.desc(), probs.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("scoring: unknown scoring function 7"))
      << mfrt_last_error();
  idx.upload({0, 1, 4, 5, 2, 3});
  EXPECT_EQ(mfrt_cuda_router_bwd(x.desc(), w.desc(), MFRT_SCORING_SOFTMAX, 0,
                                 probs.desc(), idx.desc(), sc.desc(), nullptr,
                                 dx.desc(), nullptr),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("indices: value 5 at flat position 3 is outside "
                           "[0, 5)"))
      << mfrt_last_error();
}

} // namespace
