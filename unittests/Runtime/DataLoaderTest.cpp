//===- DataLoaderTest.cpp - token files and global-index batches ----------===//

#include "moefold_runtime/mfrt_data.h"

#include "TestUtil.h"

#include <cstdio>
#include <fstream>
#include <string>

#include <stdlib.h>
#include <unistd.h>

using namespace mfrt_test;

namespace {

class TokenData : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mfrt-data-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const std::string &p : created_)
      std::remove(p.c_str());
    rmdir(dir_.c_str());
  }
  /// Writes `tokens` little-endian with `width` bytes each.
  std::string write(const char *name, const std::vector<uint32_t> &tokens,
                    int width, size_t extraBytes = 0) {
    std::string p = dir_ + "/" + name;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    for (uint32_t t : tokens)
      for (int i = 0; i < width; ++i)
        out.put(static_cast<char>(t >> (8 * i)));
    for (size_t i = 0; i < extraBytes; ++i)
      out.put('\0');
    created_.push_back(p);
    return p;
  }
  std::string dir_;
  std::vector<std::string> created_;
};

std::vector<uint32_t> iota(uint32_t n) {
  std::vector<uint32_t> v(n);
  for (uint32_t i = 0; i < n; ++i)
    v[i] = i;
  return v;
}

TEST_F(TokenData, BatchesFollowTheGlobalIndex) {
  // 21 tokens 0..20, S=4: W = floor(20/4) = 5 windows starting at 0,4,..,16.
  // Global batch 3: step 0 uses windows 0,1,2; step 1 windows 3,4,0.
  std::string p = write("toks.u16", iota(21), 2);
  mfrt_token_data *d = nullptr;
  ASSERT_OK(mfrt_token_data_open(p.c_str(), MFRT_TOKENS_AUTO, 100, &d));
  EXPECT_EQ(mfrt_token_data_num_tokens(d), 21);
  Tensor<int32_t> tok({3, 4}), tgt({3, 4});
  ASSERT_OK(mfrt_token_data_batch(d, 1, 3, 0, &tok.d, &tgt.d));
  EXPECT_EQ(tok.v, (std::vector<int32_t>{12, 13, 14, 15, 16, 17, 18, 19, 0, 1,
                                         2, 3}));
  EXPECT_EQ(tgt.v, (std::vector<int32_t>{13, 14, 15, 16, 17, 18, 19, 20, 1, 2,
                                         3, 4}));
  // Rank-independence: two ranks reading rows [0,1) and [1,3) of the same
  // step get exactly the rows of the single-rank batch.
  Tensor<int32_t> t0({1, 4}), g0({1, 4}), t1({2, 4}), g1({2, 4});
  ASSERT_OK(mfrt_token_data_batch(d, 1, 3, 0, &t0.d, &g0.d));
  ASSERT_OK(mfrt_token_data_batch(d, 1, 3, 1, &t1.d, &g1.d));
  std::vector<int32_t> joined(t0.v);
  joined.insert(joined.end(), t1.v.begin(), t1.v.end());
  EXPECT_EQ(joined, tok.v);
  // Deterministic: reading again (after other reads) gives the same batch.
  Tensor<int32_t> again({3, 4}), againT({3, 4});
  ASSERT_OK(mfrt_token_data_batch(d, 1, 3, 0, &again.d, &againT.d));
  EXPECT_EQ(again.v, tok.v);
  mfrt_token_data_close(d);
}

TEST_F(TokenData, Uint32Tokens) {
  std::vector<uint32_t> toks = {70000, 5, 69999, 1, 2};
  std::string p = write("toks.u32", toks, 4);
  mfrt_token_data *d = nullptr;
  ASSERT_OK(mfrt_token_data_open(p.c_str(), MFRT_TOKENS_AUTO, 70001, &d));
  Tensor<int32_t> tok({1, 2}), tgt({1, 2});
  ASSERT_OK(mfrt_token_data_batch(d, 0, 1, 0, &tok.d, &tgt.d));
  EXPECT_EQ(tok.v, (std::vector<int32_t>{70000, 5}));
  EXPECT_EQ(tgt.v, (std::vector<int32_t>{5, 69999}));
  ASSERT_OK(mfrt_token_data_validate(d));
  mfrt_token_data_close(d);
  // The explicit format overrides the extension: same bytes as u16.
  ASSERT_OK(mfrt_token_data_open(p.c_str(), MFRT_TOKENS_U16, 1 << 20, &d));
  EXPECT_EQ(mfrt_token_data_num_tokens(d), 10);
  mfrt_token_data_close(d);
}

TEST_F(TokenData, Errors) {
  mfrt_token_data *d = nullptr;
  std::string missing = dir_ + "/missing.u16";
  EXPECT_EQ(mfrt_token_data_open(missing.c_str(), MFRT_TOKENS_AUTO, 10, &d),
            MFRT_ERROR_IO);
  EXPECT_NE(std::string(mfrt_last_error()).find("cannot open"),
            std::string::npos);
  EXPECT_EQ(d, nullptr);

  std::string odd = write("odd.u32", {1, 2, 3}, 4, /*extraBytes=*/2);
  EXPECT_EQ(mfrt_token_data_open(odd.c_str(), MFRT_TOKENS_AUTO, 10, &d),
            MFRT_ERROR_FORMAT);
  EXPECT_NE(std::string(mfrt_last_error())
                .find("size 14 bytes is not a multiple of the 4-byte token "
                      "width"),
            std::string::npos)
      << mfrt_last_error();

  std::string noExt = write("tokens.dat", {1, 2, 3}, 2);
  EXPECT_EQ(mfrt_token_data_open(noExt.c_str(), MFRT_TOKENS_AUTO, 10, &d),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mfrt_last_error()).find("cannot infer"),
            std::string::npos);
  EXPECT_EQ(mfrt_token_data_open(noExt.c_str(), MFRT_TOKENS_U16, 0, &d),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(mfrt_token_data_open(noExt.c_str(),
                                 static_cast<mfrt_token_format>(3), 10, &d),
            MFRT_ERROR_INVALID_ARGUMENT);
  std::string one = write("one.u16", {1}, 2);
  EXPECT_EQ(mfrt_token_data_open(one.c_str(), MFRT_TOKENS_AUTO, 10, &d),
            MFRT_ERROR_FORMAT);

  // Token 50 at position 6 with vocab 50.
  std::vector<uint32_t> toks = iota(10);
  toks[6] = 50;
  std::string big = write("big.bin", toks, 2);
  ASSERT_OK(mfrt_token_data_open(big.c_str(), MFRT_TOKENS_AUTO, 50, &d));
  Tensor<int32_t> tok({1, 3}), tgt({1, 3});
  ASSERT_OK(mfrt_token_data_batch(d, 0, 2, 0, &tok.d, &tgt.d)); // tokens 0..3
  EXPECT_EQ(mfrt_token_data_batch(d, 0, 2, 1, &tok.d, &tgt.d),  // tokens 3..6
            MFRT_ERROR_FORMAT);
  EXPECT_NE(std::string(mfrt_last_error())
                .find("token 50 at position 6 is >= the vocabulary size 50"),
            std::string::npos)
      << mfrt_last_error();
  EXPECT_EQ(mfrt_token_data_validate(d), MFRT_ERROR_FORMAT);
  // Rows outside the global batch, a sequence longer than the file.
  EXPECT_EQ(mfrt_token_data_batch(d, 0, 2, 2, &tok.d, &tgt.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  Tensor<int32_t> longTok({1, 10}), longTgt({1, 10});
  EXPECT_EQ(mfrt_token_data_batch(d, 0, 1, 0, &longTok.d, &longTgt.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  Tensor<int32_t> other({1, 2});
  EXPECT_EQ(mfrt_token_data_batch(d, 0, 1, 0, &tok.d, &other.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  mfrt_token_data_close(d);
}

} // namespace
