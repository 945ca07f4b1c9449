//===- EmbeddingTest.cpp - embedding on the cuda backend vs the CPU ------===//

#include "DenseTestSupport.h"

using namespace mfrt::test;

namespace {

class EmbeddingTest : public ::testing::TestWithParam<mfrt_dtype> {};

TEST_P(EmbeddingTest, ForwardAndBackwardMatchCpu) {
  MFRT_REQUIRE_DEVICE();
  mfrt_dtype dt = GetParam();
  struct Shape {
    int64_t v, h;
    std::vector<int64_t> tokens;
  };
  // The example model's (T = 128, H = 64, vocab 256), then an odd one; few
  // vocabulary rows make tokens repeat, so the scatter-add really adds.
  for (const Shape &s : {Shape{256, 64, {2, 64}}, Shape{13, 5, {3, 7}}}) {
    std::vector<int64_t> outShape = s.tokens;
    outShape.push_back(s.h);
    int64_t t = product(s.tokens);
    Pair table(dt, {s.v, s.h}, floats(dt, s.v * s.h, 1));
    Pair tokens(MFRT_I32, s.tokens, ints(t, 2, s.v));
    Pair out(dt, outShape);
    ASSERT_EQ(mfrt_cuda_embedding_fwd(table.d(), tokens.d(), out.d()), MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_embedding_fwd(table.h(), tokens.h(), out.h()), MFRT_OK);
    EXPECT_MATCHES_CPU(out);

    Pair dout(dt, outShape, floats(dt, t * s.h, 3));
    Pair dtable(dt, {s.v, s.h});
    ASSERT_EQ(mfrt_cuda_embedding_bwd(tokens.d(), dout.d(), dtable.d()),
              MFRT_OK)
        << mfrt_last_error();
    ASSERT_EQ(mfrt_embedding_bwd(tokens.h(), dout.h(), dtable.h()), MFRT_OK);
    EXPECT_MATCHES_CPU(dtable);
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, EmbeddingTest, storageDtypes(), dtypeName);

TEST(EmbeddingTest, OutOfVocabularyTokenIsAnErrorAndWritesNothing) {
  MFRT_REQUIRE_DEVICE();
  Pair table(MFRT_F32, {256, 4}, floats(MFRT_F32, 256 * 4, 1));
  std::vector<double> tok = ints(8, 2, 256);
  tok[5] = 300;
  tok[6] = 999; // only the first offending position is reported
  Pair tokens(MFRT_I32, {8}, tok);
  Pair out(MFRT_F32, {8, 4});
  EXPECT_EQ(mfrt_cuda_embedding_fwd(table.d(), tokens.d(), out.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("mfrt_cuda_embedding_fwd: tokens: value 300 at "
                            "flat position 5 is outside [0, 256)"));
  for (double v : out.dev.download())
    EXPECT_EQ(v, kPoison);

  tok[5] = 0;
  tok[6] = -1;
  Pair negative(MFRT_I32, {8}, tok);
  Pair dout(MFRT_F32, {8, 4}, floats(MFRT_F32, 32, 3));
  Pair dtable(MFRT_F32, {256, 4});
  EXPECT_EQ(mfrt_cuda_embedding_bwd(negative.d(), dout.d(), dtable.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("mfrt_cuda_embedding_bwd: tokens: value -1 at "
                            "flat position 6 is outside [0, 256)"));
}

TEST(EmbeddingTest, RejectsBadDtypesAndShapes) {
  MFRT_REQUIRE_DEVICE();
  Pair table(MFRT_BF16, {16, 4}, floats(MFRT_BF16, 64, 1));
  Pair floatTokens(MFRT_F32, {8}, ints(8, 2, 16));
  Pair out(MFRT_BF16, {8, 4});
  EXPECT_EQ(mfrt_cuda_embedding_fwd(table.d(), floatTokens.d(), out.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("tokens: expected dtype i32, got f32"));

  Pair tokens(MFRT_I32, {8}, ints(8, 2, 16));
  Pair wide(MFRT_BF16, {8, 5});
  EXPECT_EQ(mfrt_cuda_embedding_fwd(table.d(), tokens.d(), wide.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("out: expected shape [8, 4], got [8, 5]"));

  Pair f32out(MFRT_F32, {8, 4});
  EXPECT_EQ(mfrt_cuda_embedding_fwd(table.d(), tokens.d(), f32out.d()),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(errorMentions("out: dtype f32 differs from the call's bf16"));
}

} // namespace
