//===- AttentionTest.cpp - attention on the cuda backend vs the CPU ------===//

#include "DenseTestSupport.h"

using namespace mfrt::test;

namespace {

struct AttnCase {
  int64_t b, s, nq, nkv, d;
  bool causal;
  double theta;
  bool qknorm;
};

class AttentionTest : public ::testing::TestWithParam<mfrt_dtype> {};

void runCase(mfrt_dtype dt, const AttnCase &c) {
  SCOPED_TRACE(::testing::Message()
               << "B=" << c.b << " S=" << c.s << " Nq=" << c.nq
               << " Nkv=" << c.nkv << " D=" << c.d << " causal=" << c.causal
               << " theta=" << c.theta << " qknorm=" << c.qknorm);
  std::vector<int64_t> qs = {c.b, c.s, c.nq * c.d}, ks = {c.b, c.s, c.nkv * c.d};
  int64_t nq = product(qs), nk = product(ks);
  Pair q(dt, qs, floats(dt, nq, 1, -2, 2)), k(dt, ks, floats(dt, nk, 2, -2, 2)),
      v(dt, ks, floats(dt, nk, 3));
  Pair qn(dt, {c.d}, floats(dt, c.d, 4, 0.5, 1.5)),
      kn(dt, {c.d}, floats(dt, c.d, 5, 0.5, 1.5));
  double eps = 1e-6;
  int32_t causal = c.causal ? 1 : 0;
  Pair out(dt, qs);
  if (c.qknorm) {
    ASSERT_EQ(mfrt_cuda_attention_qknorm_fwd(q.d(), k.d(), v.d(), qn.d(),
                                             kn.d(), c.nq, c.nkv, causal,
                                             c.theta, eps, out.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_attention_qknorm_fwd(q.h(), k.h(), v.h(), qn.h(), kn.h(),
                                        c.nq, c.nkv, causal, c.theta, eps,
                                        out.h()),
              MFRT_OK);
  } else {
    ASSERT_EQ(mfrt_cuda_attention_fwd(q.d(), k.d(), v.d(), c.nq, c.nkv, causal,
                                      c.theta, out.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_attention_fwd(q.h(), k.h(), v.h(), c.nq, c.nkv, causal,
                                 c.theta, out.h()),
              MFRT_OK);
  }
  EXPECT_MATCHES_CPU(out);

  Pair dout(dt, qs, floats(dt, nq, 6));
  Pair dq(dt, qs), dk(dt, ks), dv(dt, ks), dqn(dt, {c.d}), dkn(dt, {c.d});
  if (c.qknorm) {
    ASSERT_EQ(mfrt_cuda_attention_qknorm_bwd(
                  q.d(), k.d(), v.d(), qn.d(), kn.d(), c.nq, c.nkv, causal,
                  c.theta, eps, dout.d(), dq.d(), dk.d(), dv.d(), dqn.d(),
                  dkn.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_attention_qknorm_bwd(q.h(), k.h(), v.h(), qn.h(), kn.h(),
                                        c.nq, c.nkv, causal, c.theta, eps,
                                        dout.h(), dq.h(), dk.h(), dv.h(),
                                        dqn.h(), dkn.h()),
              MFRT_OK);
    EXPECT_MATCHES_CPU(dqn);
    EXPECT_MATCHES_CPU(dkn);
  } else {
    ASSERT_EQ(mfrt_cuda_attention_bwd(q.d(), k.d(), v.d(), c.nq, c.nkv, causal,
                                      c.theta, dout.d(), dq.d(), dk.d(),
                                      dv.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_attention_bwd(q.h(), k.h(), v.h(), c.nq, c.nkv, causal,
                                 c.theta, dout.h(), dq.h(), dk.h(), dv.h()),
              MFRT_OK);
  }
  EXPECT_MATCHES_CPU(dq);
  EXPECT_MATCHES_CPU(dk);
  EXPECT_MATCHES_CPU(dv);
}

TEST_P(AttentionTest, ExampleModelShapesMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  // T = 128 tokens as 2 x 64, H = 64 in 8 query heads over 4 kv heads.
  for (bool causal : {true, false})
    for (double theta : {0.0, 10000.0})
      runCase(GetParam(), {2, 64, 8, 4, 8, causal, theta, false});
  runCase(GetParam(), {2, 64, 8, 4, 8, true, 10000.0, true});
}

TEST_P(AttentionTest, OddShapesMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  runCase(GetParam(), {1, 7, 3, 1, 6, true, 500.0, false});
  runCase(GetParam(), {3, 5, 2, 2, 5, false, 0.0, true});
  // A head wider than the kernel's accumulator chunk (two passes).
  runCase(GetParam(), {1, 5, 2, 1, 130, true, 10000.0, true});
}

INSTANTIATE_TEST_SUITE_P(Dtypes, AttentionTest, storageDtypes(), dtypeName);

TEST(AttentionTest, PartialGradientsMatchTheFullCall) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = MFRT_F32;
  std::vector<int64_t> qs = {1, 9, 16}, ks = {1, 9, 8};
  Pair q(dt, qs, floats(dt, 144, 1)), k(dt, ks, floats(dt, 72, 2)),
      v(dt, ks, floats(dt, 72, 3)), dout(dt, qs, floats(dt, 144, 4));
  Pair dq(dt, qs), dk(dt, ks), dv(dt, ks), dvOnly(dt, ks), dkOnly(dt, ks);
  ASSERT_EQ(mfrt_cuda_attention_bwd(q.d(), k.d(), v.d(), 4, 2, 1, 100.0,
                                    dout.d(), dq.d(), dk.d(), dv.d()),
            MFRT_OK)
      << mfrt_last_error();
  ASSERT_EQ(mfrt_cuda_attention_bwd(q.d(), k.d(), v.d(), 4, 2, 1, 100.0,
                                    dout.d(), nullptr, nullptr, dvOnly.d()),
            MFRT_OK);
  ASSERT_EQ(mfrt_cuda_attention_bwd(q.d(), k.d(), v.d(), 4, 2, 1, 100.0,
                                    dout.d(), nullptr, dkOnly.d(), nullptr),
            MFRT_OK);
  EXPECT_EQ(dvOnly.dev.download(), dv.dev.download());
  EXPECT_EQ(dkOnly.dev.download(), dk.dev.download());
}

TEST(AttentionTest, RejectsBadArguments) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = MFRT_BF16;
  Pair q(dt, {1, 4, 12}, floats(dt, 48, 1)), k(dt, {1, 4, 6}, floats(dt, 24, 2)),
      v(dt, {1, 4, 6}, floats(dt, 24, 3));
  Pair out(dt, {1, 4, 12});
  EXPECT_EQ(mfrt_cuda_attention_fwd(q.d(), k.d(), v.d(), 4, 3, 1, 0.0, out.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("mfrt_cuda_attention_fwd: num_heads (4) is not a "
                            "multiple of num_kv_heads (3)"));
  // D = 3 cannot be rotated.
  EXPECT_EQ(
      mfrt_cuda_attention_fwd(q.d(), k.d(), v.d(), 4, 2, 1, 10000.0, out.d()),
      MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(
      errorMentions("rope_theta needs an even head dimension, got D = 3"));
  Pair kWrong(dt, {1, 4, 9}, floats(dt, 36, 2));
  EXPECT_EQ(
      mfrt_cuda_attention_fwd(q.d(), kWrong.d(), v.d(), 4, 2, 1, 0.0, out.d()),
      MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("k: expected shape [1, 4, 6], got [1, 4, 9]"));
  Pair qn(dt, {3}, floats(dt, 3, 4)), kn(dt, {4}, floats(dt, 4, 5));
  EXPECT_EQ(mfrt_cuda_attention_qknorm_fwd(q.d(), k.d(), v.d(), qn.d(), kn.d(),
                                           4, 2, 1, 0.0, 1e-6, out.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("k_norm: expected shape [3], got [4]"));
  EXPECT_EQ(mfrt_cuda_attention_qknorm_fwd(q.d(), k.d(), v.d(), qn.d(), qn.d(),
                                           4, 2, 1, 0.0, 0.0, out.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("epsilon must be positive and finite, got 0"));
}

} // namespace
