//===- OptimizerTest.cpp - norm, clipping, SGD, AdamW: cuda vs the CPU ---===//

#include "MoeTestUtil.h"

using namespace mfrt::test;

namespace {

class OptimizerTest : public ::testing::TestWithParam<mfrt_dtype> {};

TEST_P(OptimizerTest, SumSquaresAndGlobalNormMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = GetParam(), rt = refType(dt);
  bool bf16 = dt == MFRT_BF16;
  // Sizes: one element, a partial block, and more than the first stage's
  // 32768 partial sums (two tree levels).
  std::vector<std::vector<int64_t>> shapes = {{1}, {3, 77}, {301, 331}};
  std::vector<std::vector<double>> values;
  std::vector<DeviceTensor *> dev;
  std::vector<HostTensor *> host;
  for (size_t i = 0; i < shapes.size(); ++i) {
    int64_t n = 1;
    for (int64_t d : shapes[i])
      n *= d;
    values.push_back(randomValues(n, uint32_t(50 + i), -2, 2, bf16));
    dev.push_back(new DeviceTensor(dt, shapes[i]));
    dev.back()->upload(values.back());
    host.push_back(new HostTensor(rt, shapes[i], values.back()));
  }
  // bf16 inputs are exact in f32; only the summation order differs.
  double tol = dt == MFRT_F64 ? 1e-12 : 1e-9;
  for (size_t i = 0; i < shapes.size(); ++i) {
    double acc = 0.5, ref = 0.5;
    ASSERT_EQ(mfrt_cuda_sum_squares(dev[i]->desc(), &acc), MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_sum_squares(host[i]->desc(), &ref), MFRT_OK);
    EXPECT_NEAR(acc, ref, ref * tol);
  }
  std::vector<const mfrt_tensor *> grads, hgrads;
  for (size_t i = 0; i < shapes.size(); ++i) {
    grads.push_back(dev[i]->desc());
    hgrads.push_back(host[i]->desc());
  }
  DeviceTensor norm(dt, {});
  HostTensor hnorm(rt, {});
  ASSERT_EQ(mfrt_cuda_global_norm(grads.data(), int64_t(grads.size()),
                                  norm.desc()),
            MFRT_OK)
      << mfrt_last_error();
  ASSERT_EQ(mfrt_global_norm(hgrads.data(), int64_t(hgrads.size()),
                             hnorm.desc()),
            MFRT_OK);
  EXPECT_LE(maxRelativeError(norm.download(), hnorm.values()),
            toleranceFor(dt));
  ASSERT_EQ(mfrt_cuda_global_norm(nullptr, 0, norm.desc()), MFRT_OK);
  EXPECT_EQ(norm.download(), std::vector<double>{0.0});
  for (size_t i = 0; i < shapes.size(); ++i) {
    delete dev[i];
    delete host[i];
  }
}

TEST_P(OptimizerTest, SgdAndAdamwMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = GetParam(), rt = refType(dt);
  bool bf16 = dt == MFRT_BF16;
  double tol = toleranceFor(dt);
  std::vector<int64_t> shape = {7, 45};
  int64_t n = 7 * 45;
  auto pv = randomValues(n, 61, -1, 1, bf16), gv = randomValues(n, 62, -1, 1, bf16),
       mv = randomValues(n, 63, -0.1, 0.1, bf16),
       vv = randomValues(n, 64, 0, 0.01, bf16);
  for (int32_t apply : {1, 0}) {
    SCOPED_TRACE(apply ? "apply" : "skip");
    DeviceTensor p(dt, shape), g(dt, shape), m(dt, shape), v(dt, shape),
        po(dt, shape), mo(dt, shape), vo(dt, shape);
    p.upload(pv);
    g.upload(gv);
    m.upload(mv);
    v.upload(vv);
    HostTensor hp(rt, shape, pv), hg(rt, shape, gv), hm(rt, shape, mv),
        hv(rt, shape, vv), hpo(rt, shape), hmo(rt, shape), hvo(rt, shape);

    ASSERT_EQ(mfrt_cuda_sgd_step(p.desc(), g.desc(), 0.7, 0.05, apply, 0.1,
                                 po.desc()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_sgd_step(hp.desc(), hg.desc(), 0.7, 0.05, apply, 0.1,
                            hpo.desc()),
              MFRT_OK);
    EXPECT_LE(maxRelativeError(po.download(), hpo.values()), tol);

    ASSERT_EQ(mfrt_cuda_adamw_step(p.desc(), g.desc(), m.desc(), v.desc(), 0.7,
                                   1e-3, 3, apply, 0.9, 0.999, 1e-8, 0.01,
                                   po.desc(), mo.desc(), vo.desc()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_adamw_step(hp.desc(), hg.desc(), hm.desc(), hv.desc(), 0.7,
                              1e-3, 3, apply, 0.9, 0.999, 1e-8, 0.01,
                              hpo.desc(), hmo.desc(), hvo.desc()),
              MFRT_OK);
    EXPECT_LE(maxRelativeError(po.download(), hpo.values()), tol);
    EXPECT_LE(maxRelativeError(mo.download(), hmo.values()), tol);
    EXPECT_LE(maxRelativeError(vo.download(), hvo.values()), tol);

    // In place (outputs aliasing inputs) gives the same values.
    ASSERT_EQ(mfrt_cuda_adamw_step(p.desc(), g.desc(), m.desc(), v.desc(), 0.7,
                                   1e-3, 3, apply, 0.9, 0.999, 1e-8, 0.01,
                                   p.desc(), m.desc(), v.desc()),
              MFRT_OK)
        << mfrt_last_error();
    EXPECT_EQ(p.download(), po.download());
    EXPECT_EQ(m.download(), mo.download());
    EXPECT_EQ(v.download(), vo.download());
    p.upload(pv);
    ASSERT_EQ(mfrt_cuda_sgd_step(p.desc(), g.desc(), 0.7, 0.05, apply, 0.1,
                                 p.desc()),
              MFRT_OK);
    ASSERT_EQ(mfrt_sgd_step(hp.desc(), hg.desc(), 0.7, 0.05, apply, 0.1,
                            hpo.desc()),
              MFRT_OK);
    EXPECT_LE(maxRelativeError(p.download(), hpo.values()), tol);
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, OptimizerTest, storageDtypes(), dtypeName);

TEST(OptimizerTest, ClipScaleMatchesCpu) {
  const double norms[] = {0.5, 2.0, 1e9, INFINITY, NAN, 0.0};
  const double maxNorms[] = {1.0, 0.0, -1.0};
  for (double norm : norms)
    for (double maxNorm : maxNorms) {
      double s = -1, hs = -2;
      int32_t a = -1, ha = -2;
      ASSERT_EQ(mfrt_cuda_clip_scale(norm, maxNorm, &s, &a), MFRT_OK);
      ASSERT_EQ(mfrt_clip_scale(norm, maxNorm, &hs, &ha), MFRT_OK);
      EXPECT_EQ(s, hs) << norm << " " << maxNorm;
      EXPECT_EQ(a, ha) << norm << " " << maxNorm;
    }
  double s;
  int32_t a;
  EXPECT_EQ(mfrt_cuda_clip_scale(1.0, NAN, &s, &a),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("max_norm is NaN")) << mfrt_last_error();
  EXPECT_EQ(mfrt_cuda_clip_scale(1.0, 1.0, nullptr, &a),
            MFRT_ERROR_INVALID_ARGUMENT);
}

TEST(OptimizerTest, RejectsBadArguments) {
  MFRT_REQUIRE_DEVICE();
  DeviceTensor p(MFRT_F32, {4}), g(MFRT_F32, {4}), m(MFRT_F32, {4}),
      v(MFRT_F32, {4}), g5(MFRT_F32, {5}), gb(MFRT_BF16, {4}),
      out2(MFRT_F32, {2});
  EXPECT_EQ(mfrt_cuda_adamw_step(p.desc(), g.desc(), m.desc(), v.desc(), 1,
                                 1e-3, 0, 1, 0.9, 0.999, 1e-8, 0, p.desc(),
                                 m.desc(), v.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("step: expected a finite value >= 1"))
      << mfrt_last_error();
  EXPECT_EQ(mfrt_cuda_adamw_step(p.desc(), g.desc(), m.desc(), v.desc(), 1,
                                 1e-3, 1, 1, 1.0, 0.999, 1e-8, 0, p.desc(),
                                 m.desc(), v.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("betas: expected values in [0, 1)"))
      << mfrt_last_error();
  EXPECT_EQ(mfrt_cuda_sgd_step(p.desc(), g5.desc(), 1, 0.1, 1, 0, p.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("grad: expected shape [4], got [5]"))
      << mfrt_last_error();
  EXPECT_EQ(mfrt_cuda_sgd_step(p.desc(), g.desc(), 1, NAN, 1, 0, p.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  const mfrt_tensor *mixed[] = {g.desc(), gb.desc()};
  EXPECT_EQ(mfrt_cuda_global_norm(mixed, 2, p.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("grads[1]: dtype bf16 differs")) << mfrt_last_error();
  EXPECT_EQ(mfrt_cuda_global_norm(mixed, 1, out2.desc()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(lastErrorHas("out: expected a one-element scalar tensor"))
      << mfrt_last_error();
  EXPECT_EQ(mfrt_cuda_sum_squares(g.desc(), nullptr),
            MFRT_ERROR_INVALID_ARGUMENT);
}

} // namespace
