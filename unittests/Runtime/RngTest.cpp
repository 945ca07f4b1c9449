//===- RngTest.cpp - counter-based parameter initialisation ---------------===//

#include "moefold_runtime/mfrt_rng.h"

#include "TestUtil.h"

#include <cmath>

using namespace mfrt_test;

namespace {

// Random123's published known-answer vectors (tests/kat_vectors) pin the
// block function, so another backend (CUDA) can reproduce it bit for bit.
TEST(Rng, PhiloxKnownAnswers) {
  struct Kat {
    uint32_t ctr[4], key[2], out[4];
  } kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat &k : kats) {
    uint32_t out[4];
    mfrt_philox4x32_10(k.ctr, k.key, out);
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(out[i], k.out[i]) << "word " << i;
  }
}

TEST(Rng, Deterministic) {
  Tensor<float> a({16, 8}), b({16, 8}), c({16, 8}), d({16, 8});
  ASSERT_OK(mfrt_init_normal(&a.d, nullptr, nullptr, 42, 7, 0.0, 0.02));
  ASSERT_OK(mfrt_init_normal(&b.d, nullptr, nullptr, 42, 7, 0.0, 0.02));
  EXPECT_EQ(a.v, b.v);
  // Another seed or another parameter id gives different values.
  ASSERT_OK(mfrt_init_normal(&c.d, nullptr, nullptr, 43, 7, 0.0, 0.02));
  ASSERT_OK(mfrt_init_normal(&d.d, nullptr, nullptr, 42, 8, 0.0, 0.02));
  int sameSeed = 0, samePid = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sameSeed += a[i] == c[i];
    samePid += a[i] == d[i];
  }
  EXPECT_EQ(sameSeed, 0);
  EXPECT_EQ(samePid, 0);
}

// A shard initialised with its offsets equals the slice of the full
// single-rank initialisation, for f32 and f64 and any sharded dimension.
TEST(Rng, ShardEqualsSliceOfGlobal) {
  const int64_t g0 = 6, g1 = 10, g2 = 4;
  const int64_t global[3] = {g0, g1, g2};
  Tensor<double> full({g0, g1, g2});
  ASSERT_OK(mfrt_init_normal(&full.d, nullptr, nullptr, 1234, 3, 0.5, 2.0));
  Tensor<float> fullF({g0, g1, g2});
  ASSERT_OK(mfrt_init_normal(&fullF.d, nullptr, nullptr, 1234, 3, 0.0, 2.0));
  // Four shards of a 2 x 2 split of dims 0 and 1, and one odd window.
  const int64_t off[][3] = {{0, 0, 0}, {3, 0, 0}, {0, 5, 0}, {3, 5, 0},
                            {1, 2, 1}};
  const int64_t ext[][3] = {{3, 5, 4}, {3, 5, 4}, {3, 5, 4}, {3, 5, 4},
                            {4, 7, 2}};
  for (int s = 0; s < 5; ++s) {
    Tensor<double> shard({ext[s][0], ext[s][1], ext[s][2]});
    Tensor<float> shardF({ext[s][0], ext[s][1], ext[s][2]});
    ASSERT_OK(mfrt_init_normal(&shard.d, global, off[s], 1234, 3, 0.5, 2.0));
    ASSERT_OK(mfrt_init_normal_f32(shardF.v.data(), 3, global, off[s], ext[s],
                                   1234, 3, 2.0f));
    for (int64_t i = 0; i < ext[s][0]; ++i)
      for (int64_t j = 0; j < ext[s][1]; ++j)
        for (int64_t k = 0; k < ext[s][2]; ++k) {
          int64_t li = (i * ext[s][1] + j) * ext[s][2] + k;
          int64_t gi = ((i + off[s][0]) * g1 + j + off[s][1]) * g2 + k +
                       off[s][2];
          ASSERT_EQ(shard[li], full[gi]) << "shard " << s;
          // The raw f32 form (mean 0) against the f32 descriptor form.
          ASSERT_EQ(shardF[li], fullF[gi]) << "shard " << s;
        }
  }
  // Uniform too.
  Tensor<double> fullU({g0, g1, g2}), shardU({2, 10, 4});
  const int64_t offU[3] = {4, 0, 0};
  ASSERT_OK(mfrt_init_uniform(&fullU.d, nullptr, nullptr, 9, 1, -1.0, 1.0));
  ASSERT_OK(mfrt_init_uniform(&shardU.d, global, offU, 9, 1, -1.0, 1.0));
  for (int64_t i = 0; i < 2 * 10 * 4; ++i)
    ASSERT_EQ(shardU[i], fullU[4 * 10 * 4 + i]);
}

TEST(Rng, Moments) {
  const int64_t n = 200000;
  Tensor<double> x({n});
  ASSERT_OK(mfrt_init_normal(&x.d, nullptr, nullptr, 7, 0, 1.0, 3.0));
  double m = 0, m2 = 0, m4 = 0;
  for (double v : x.v)
    m += v;
  m /= n;
  for (double v : x.v) {
    m2 += (v - m) * (v - m);
    m4 += std::pow(v - m, 4);
  }
  m2 /= n;
  m4 /= n;
  // Standard errors: mean 3/sqrt(n)=0.0067, so 5 sigma ~ 0.034.
  EXPECT_NEAR(m, 1.0, 0.034);
  EXPECT_NEAR(std::sqrt(m2), 3.0, 0.03);
  EXPECT_NEAR(m4 / (m2 * m2), 3.0, 0.1); // normal kurtosis
  Tensor<double> u({n});
  ASSERT_OK(mfrt_init_uniform(&u.d, nullptr, nullptr, 7, 0, 2.0, 4.0));
  double um = 0, uv = 0, lo = 1e9, hi = -1e9;
  for (double v : u.v) {
    um += v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  um /= n;
  for (double v : u.v)
    uv += (v - um) * (v - um);
  uv /= n;
  EXPECT_NEAR(um, 3.0, 0.01);
  EXPECT_NEAR(uv, 4.0 / 12.0, 0.005);
  EXPECT_GE(lo, 2.0);
  EXPECT_LT(hi, 4.0);
}

TEST(Rng, ConstantsAndErrors) {
  Tensor<float> x({3, 2});
  ASSERT_OK(mfrt_init_ones(&x.d));
  for (float v : x.v)
    EXPECT_EQ(v, 1.0f);
  ASSERT_OK(mfrt_init_zeros(&x.d));
  for (float v : x.v)
    EXPECT_EQ(v, 0.0f);
  ASSERT_OK(mfrt_init_constant(&x.d, 0.25));
  EXPECT_EQ(x[5], 0.25f);
  // A slice past the global extent is rejected.
  const int64_t global[2] = {4, 2}, off[2] = {2, 0};
  EXPECT_EQ(mfrt_init_normal(&x.d, global, off, 1, 1, 0, 1),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mfrt_last_error()).find("exceeds the global extent"),
            std::string::npos);
  EXPECT_EQ(mfrt_init_normal(nullptr, nullptr, nullptr, 1, 1, 0, 1),
            MFRT_ERROR_INVALID_ARGUMENT);
  Tensor<int32_t> ints({2});
  EXPECT_EQ(mfrt_init_zeros(&ints.d), MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(mfrt_init_normal_f32(x.v.data(), 2, nullptr, nullptr, nullptr, 1,
                                 1, 1.0f),
            MFRT_ERROR_INVALID_ARGUMENT);
}

} // namespace

namespace {

// Truncated normal: inside [-2s, 2s] every element equals the plain normal
// draw; outside it is redrawn (attempt key), never clamped in practice.
TEST(Rng, TruncatedNormal) {
  const double s = 0.5;
  Tensor<double> t({64, 64}), n({64, 64});
  ASSERT_OK(mfrt_init_truncated_normal(&t.d, nullptr, nullptr, 9, 3, 0.0, s));
  ASSERT_OK(mfrt_init_normal(&n.d, nullptr, nullptr, 9, 3, 0.0, s));
  int redrawn = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    EXPECT_LE(std::fabs(t[i]), 2 * s);
    if (std::fabs(n[i]) <= 2 * s) {
      EXPECT_EQ(t[i], n[i]) << i;
    } else {
      ++redrawn;
      EXPECT_NE(std::fabs(t[i]), 2 * s) << "clamped at " << i;
    }
  }
  // About 4.55% of N(0, 1) lies outside [-2, 2].
  EXPECT_GT(redrawn, 100);
  EXPECT_LT(redrawn, 280);
  // A shard equals the slice of the whole.
  int64_t global[2] = {64, 64}, off[2] = {16, 32};
  Tensor<double> shard({8, 16});
  ASSERT_OK(mfrt_init_truncated_normal(&shard.d, global, off, 9, 3, 0.0, s));
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 16; ++c)
      EXPECT_EQ(shard[r * 16 + c], t[(16 + r) * 64 + 32 + c]);
}

} // namespace
