//===- OptimizerTest.cpp - norm, clipping, SGD and AdamW kernels ----------===//
//
// Hand-computed values (the arithmetic is in the comments), the skip-step
// flag, in-place updates, f32/f64 and argument errors.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_optim.h"

#include "TestUtil.h"

#include <cmath>
#include <limits>

using namespace mfrt_test;

namespace {

TEST(Optimizer, SumSquaresAccumulates) {
  Tensor<float> a({2, 2}, {1, -2, 3, 0.5f});
  Tensor<double> b({3}, {2, 2, 1});
  double acc = 1.0;
  ASSERT_OK(mfrt_sum_squares(&a.d, &acc)); // 1 + (1 + 4 + 9 + 0.25)
  EXPECT_DOUBLE_EQ(acc, 15.25);
  ASSERT_OK(mfrt_sum_squares(&b.d, &acc)); // + (4 + 4 + 1)
  EXPECT_DOUBLE_EQ(acc, 24.25);
}

TEST(Optimizer, GlobalNormCountsEveryElementOnce) {
  // sqrt(3^2 + 4^2 + 12^2) = sqrt(169) = 13
  Tensor<float> a({2}, {3, 4}), b({1, 1}, {12}), out;
  const mfrt_tensor *grads[] = {&a.d, &b.d};
  ASSERT_OK(mfrt_global_norm(grads, 2, &out.d));
  EXPECT_FLOAT_EQ(out[0], 13.0f);
  // No gradients: 0.
  ASSERT_OK(mfrt_global_norm(nullptr, 0, &out.d));
  EXPECT_EQ(out[0], 0.0f);
  // A non-finite element makes the norm non-finite.
  Tensor<float> bad({2}, {1, std::numeric_limits<float>::infinity()});
  const mfrt_tensor *badList[] = {&bad.d};
  ASSERT_OK(mfrt_global_norm(badList, 1, &out.d));
  EXPECT_FALSE(std::isfinite(out[0]));
}

TEST(Optimizer, ClipScale) {
  double scale = 0;
  int32_t apply = -1;
  // Below the limit: no clipping.
  ASSERT_OK(mfrt_clip_scale(0.5, 1.0, &scale, &apply));
  EXPECT_EQ(scale, 1.0);
  EXPECT_EQ(apply, 1);
  // Above: max_norm / (norm + 1e-6) = 1 / 4.000001.
  ASSERT_OK(mfrt_clip_scale(4.0, 1.0, &scale, &apply));
  EXPECT_DOUBLE_EQ(scale, 1.0 / 4.000001);
  EXPECT_EQ(apply, 1);
  // max_norm <= 0 disables clipping.
  ASSERT_OK(mfrt_clip_scale(1e9, 0.0, &scale, &apply));
  EXPECT_EQ(scale, 1.0);
  EXPECT_EQ(apply, 1);
  // A non-finite norm skips the step.
  ASSERT_OK(mfrt_clip_scale(std::nan(""), 1.0, &scale, &apply));
  EXPECT_EQ(apply, 0);
  EXPECT_EQ(scale, 1.0);
  ASSERT_OK(mfrt_clip_scale(INFINITY, 1.0, &scale, &apply));
  EXPECT_EQ(apply, 0);
  EXPECT_EQ(mfrt_clip_scale(1.0, std::nan(""), &scale, &apply),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(mfrt_clip_scale(1.0, 1.0, nullptr, &apply),
            MFRT_ERROR_INVALID_ARGUMENT);
}

TEST(Optimizer, SGDDecoupledWeightDecay) {
  // p' = p (1 - lr wd) - lr scale g with lr 0.1, wd 0.5, scale 0.5:
  //   2 * 0.95 - 0.1 * 0.5 * 4 = 1.9 - 0.2 = 1.7
  //  -1 * 0.95 - 0.1 * 0.5 * (-2) = -0.95 + 0.1 = -0.85
  Tensor<double> p({2}, {2, -1}), g({2}, {4, -2}), out({2});
  ASSERT_OK(mfrt_sgd_step(&p.d, &g.d, 0.5, 0.1, 1, 0.5, &out.d));
  EXPECT_DOUBLE_EQ(out[0], 1.7);
  EXPECT_DOUBLE_EQ(out[1], -0.85);
  // apply = 0 copies the parameter.
  ASSERT_OK(mfrt_sgd_step(&p.d, &g.d, 0.5, 0.1, 0, 0.5, &out.d));
  EXPECT_EQ(out.v, p.v);
  // In place (new_param aliases param), f32.
  Tensor<float> pf({1}, {1.0f}), gf({1}, {1.0f});
  ASSERT_OK(mfrt_sgd_step(&pf.d, &gf.d, 1.0, 0.25, 1, 0.0, &pf.d));
  EXPECT_FLOAT_EQ(pf[0], 0.75f);
}

TEST(Optimizer, AdamWTwoSteps) {
  // beta1 0.9, beta2 0.999, eps 1e-8, lr 0.1, wd 0.01, p0 = 1, m0 = v0 = 0.
  // Step 1, g = 0.5: m = 0.05, v = 0.001 * 0.25 = 2.5e-4,
  //   m_hat = 0.05 / 0.1 = 0.5, v_hat = 2.5e-4 / 1e-3 = 0.25,
  //   p = 1 * (1 - 0.001) - 0.1 * 0.5 / (0.5 + 1e-8) = 0.899000002 (to 1e-16).
  Tensor<double> p({1}, {1.0}), g({1}, {0.5}), m({1}), v({1});
  Tensor<double> p2({1}), m2({1}), v2({1});
  ASSERT_OK(mfrt_adamw_step(&p.d, &g.d, &m.d, &v.d, 1.0, 0.1, 1.0, 1, 0.9,
                            0.999, 1e-8, 0.01, &p2.d, &m2.d, &v2.d));
  EXPECT_NEAR(m2[0], 0.05, 1e-16);
  EXPECT_NEAR(v2[0], 2.5e-4, 1e-18);
  EXPECT_NEAR(p2[0], 0.899000002, 1e-15);
  // Step 2, g = -0.5: m = 0.9 * 0.05 - 0.05 = -0.005,
  //   v = 0.999 * 2.5e-4 + 2.5e-4 = 4.9975e-4, m_hat = -0.005 / 0.19,
  //   v_hat = 4.9975e-4 / 0.001999 = 0.25,
  //   p = 0.899000002 * 0.999 + 0.1 * (0.005 / 0.19) / (0.5 + 1e-8)
  //     = 0.898101001998 + 0.00526315779... = 0.90336415978747.
  g[0] = -0.5;
  ASSERT_OK(mfrt_adamw_step(&p2.d, &g.d, &m2.d, &v2.d, 1.0, 0.1, 2.0, 1, 0.9,
                            0.999, 1e-8, 0.01, &p2.d, &m2.d, &v2.d));
  EXPECT_NEAR(m2[0], -0.005, 1e-16);
  EXPECT_NEAR(v2[0], 4.9975e-4, 1e-18);
  EXPECT_NEAR(p2[0], 0.90336415978747, 1e-13);
}

TEST(Optimizer, AdamWScaleAndSkip) {
  // The clip scale multiplies the gradient before the moments: with scale
  // 0.5 and g = 1 the first step sees g = 0.5 (m = 0.05, as above).
  Tensor<float> p({2}, {1, 2}), g({2}, {1, 1}), m({2}), v({2});
  Tensor<float> p2({2}), m2({2}), v2({2});
  ASSERT_OK(mfrt_adamw_step(&p.d, &g.d, &m.d, &v.d, 0.5, 0.1, 1.0, 1, 0.9,
                            0.999, 1e-8, 0.0, &p2.d, &m2.d, &v2.d));
  EXPECT_FLOAT_EQ(m2[0], 0.05f);
  // Without decay the first AdamW step moves by lr * sign(g) (up to eps).
  EXPECT_NEAR(p2[0], 0.9f, 1e-6);
  EXPECT_NEAR(p2[1], 1.9f, 1e-6);
  // apply = 0: every output equals its input.
  Tensor<float> m3({2}, {0.25f, -1}), v3({2}, {4, 9});
  ASSERT_OK(mfrt_adamw_step(&p.d, &g.d, &m3.d, &v3.d, 1.0, 0.1, 3.0, 0, 0.9,
                            0.999, 1e-8, 0.1, &p2.d, &m2.d, &v2.d));
  EXPECT_EQ(p2.v, p.v);
  EXPECT_EQ(m2.v, m3.v);
  EXPECT_EQ(v2.v, v3.v);
}

TEST(Optimizer, Errors) {
  Tensor<float> p({2}), g({3}), m({2}), v({2}), out({2});
  Tensor<double> pd({2});
  EXPECT_EQ(mfrt_sgd_step(&p.d, &g.d, 1, 0.1, 1, 0, &out.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(mfrt_last_error(),
               "mfrt_sgd_step: grad: expected shape [2], got [3]");
  EXPECT_EQ(mfrt_sgd_step(&p.d, &p.d, 1, 0.1, 1, 0, &pd.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(mfrt_last_error(),
               "mfrt_sgd_step: new_param: dtype f64 differs from the call's "
               "f32");
  // Steps count from 1 (bias correction would divide by zero at 0).
  EXPECT_EQ(mfrt_adamw_step(&p.d, &p.d, &m.d, &v.d, 1, 0.1, 0.0, 1, 0.9, 0.999,
                            1e-8, 0, &out.d, &m.d, &v.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(mfrt_last_error(),
               "mfrt_adamw_step: step: expected a finite value >= 1 (steps "
               "count from 1), got 0");
  EXPECT_EQ(mfrt_adamw_step(&p.d, &p.d, &m.d, &v.d, 1, 0.1, 1.0, 1, 1.0, 0.999,
                            1e-8, 0, &out.d, &m.d, &v.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(mfrt_last_error(),
               "mfrt_adamw_step: betas: expected values in [0, 1), got 1, "
               "0.999");
  double acc = 0;
  EXPECT_EQ(mfrt_sum_squares(nullptr, &acc), MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(mfrt_global_norm(nullptr, 1, &out.d), MFRT_ERROR_INVALID_ARGUMENT);
}

} // namespace
