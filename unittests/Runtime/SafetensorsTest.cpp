//===- SafetensorsTest.cpp - safetensors reader, writer, corrupt input ----===//

#include "moefold_runtime/mfrt_io.h"

#include "TestUtil.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

using namespace mfrt_test;

namespace {

class Safetensors : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mfrt-st-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    mfrt_safetensors_set_write_fault(-1);
  }
  void TearDown() override {
    mfrt_safetensors_set_write_fault(-1);
    for (const std::string &f : listDir())
      std::remove((dir_ + "/" + f).c_str());
    rmdir(dir_.c_str());
  }
  std::string path(const char *name) const { return dir_ + "/" + name; }
  std::vector<std::string> listDir() const {
    std::vector<std::string> names;
    if (DIR *d = opendir(dir_.c_str())) {
      while (dirent *e = readdir(d))
        if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
          names.push_back(e->d_name);
      closedir(d);
    }
    return names;
  }
  static void writeBytes(const std::string &p, const std::string &bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  static std::string readBytes(const std::string &p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  /// A file from a literal header (length prefix added) and data bytes.
  static std::string file(const std::string &header, size_t dataBytes) {
    std::string s(8, '\0');
    uint64_t n = header.size();
    for (int i = 0; i < 8; ++i)
      s[i] = static_cast<char>(n >> (8 * i));
    return s + header + std::string(dataBytes, '\x01');
  }
  /// Expects open() to fail with `status` and a message containing `needle`.
  void expectRejected(const std::string &bytes, const std::string &needle,
                      mfrt_status status = MFRT_ERROR_FORMAT) {
    std::string p = path("bad.safetensors");
    writeBytes(p, bytes);
    mfrt_safetensors *f = reinterpret_cast<mfrt_safetensors *>(0x1);
    mfrt_clear_last_error();
    EXPECT_EQ(mfrt_safetensors_open(p.c_str(), &f), status) << needle;
    EXPECT_EQ(f, nullptr);
    EXPECT_NE(std::string(mfrt_last_error()).find(needle), std::string::npos)
        << "expected \"" << needle << "\" in \"" << mfrt_last_error() << "\"";
  }

  std::string dir_;
};

TEST_F(Safetensors, RoundTrip) {
  Tensor<float> a({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor<double> b({4}, {0.5, -1.25, 1e300, -0.0});
  Tensor<int32_t> c({2, 2}, {7, -8, 9, 2147483647});
  Tensor<double> scalar(std::vector<int64_t>{}, {3.5});
  Tensor<float> empty({0, 3});
  mfrt_safetensors_writer *w = nullptr;
  ASSERT_OK(mfrt_safetensors_writer_create(&w));
  ASSERT_OK(mfrt_safetensors_writer_add(w, "layers.0.w", &a.d));
  ASSERT_OK(mfrt_safetensors_writer_add(w, "b \"quoted\"", &b.d));
  ASSERT_OK(mfrt_safetensors_writer_add(w, "c", &c.d));
  ASSERT_OK(mfrt_safetensors_writer_add(w, "scalar", &scalar.d));
  ASSERT_OK(mfrt_safetensors_writer_add(w, "empty", &empty.d));
  ASSERT_OK(mfrt_safetensors_writer_set_metadata(w, "format", "pt"));
  ASSERT_OK(mfrt_safetensors_writer_set_metadata(w, "note", "a\\b\n\"c\" \xc3\xa9"));
  ASSERT_OK(mfrt_safetensors_writer_set_metadata(w, "format", "moefold"));
  std::string p = path("ck.safetensors");
  ASSERT_OK(mfrt_safetensors_writer_write(w, p.c_str()));
  mfrt_safetensors_writer_destroy(w);
  EXPECT_EQ(listDir().size(), 1u) << "temporary file left behind";

  // The data section starts 8-byte aligned.
  std::string raw = readBytes(p);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | static_cast<unsigned char>(raw[i]);
  EXPECT_EQ((8 + n) % 8, 0u);

  mfrt_safetensors *f = nullptr;
  ASSERT_OK(mfrt_safetensors_open(p.c_str(), &f));
  ASSERT_EQ(mfrt_safetensors_count(f), 5);
  const char *name, *dtype;
  int32_t rank;
  const int64_t *shape;
  ASSERT_OK(mfrt_safetensors_info(f, 0, &name, &dtype, &rank, &shape));
  EXPECT_STREQ(name, "layers.0.w");
  EXPECT_STREQ(dtype, "F32");
  ASSERT_EQ(rank, 2);
  EXPECT_EQ(shape[0], 2);
  EXPECT_EQ(shape[1], 3);
  ASSERT_OK(mfrt_safetensors_info(f, 3, &name, &dtype, &rank, &shape));
  EXPECT_STREQ(name, "scalar");
  EXPECT_EQ(rank, 0);
  EXPECT_EQ(mfrt_safetensors_info(f, 5, &name, nullptr, nullptr, nullptr),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(mfrt_safetensors_metadata(f, "format"), "moefold");
  EXPECT_STREQ(mfrt_safetensors_metadata(f, "note"), "a\\b\n\"c\" \xc3\xa9");
  EXPECT_EQ(mfrt_safetensors_metadata(f, "absent"), nullptr);

  Tensor<float> a2({2, 3});
  Tensor<double> b2({4}), scalar2(std::vector<int64_t>{});
  Tensor<int32_t> c2({2, 2});
  Tensor<float> empty2({0, 3});
  ASSERT_OK(mfrt_safetensors_read(f, "layers.0.w", &a2.d));
  ASSERT_OK(mfrt_safetensors_read(f, "b \"quoted\"", &b2.d));
  ASSERT_OK(mfrt_safetensors_read(f, "c", &c2.d));
  ASSERT_OK(mfrt_safetensors_read(f, "scalar", &scalar2.d));
  ASSERT_OK(mfrt_safetensors_read(f, "empty", &empty2.d));
  EXPECT_EQ(a2.v, a.v);
  EXPECT_EQ(0, std::memcmp(b2.v.data(), b.v.data(), 4 * sizeof(double)));
  EXPECT_EQ(c2.v, c.v);
  EXPECT_EQ(scalar2[0], 3.5);
  int64_t idx = -1;
  ASSERT_OK(mfrt_safetensors_find(f, "c", &idx));
  EXPECT_EQ(idx, 2);

  // A shard: rows 0..1, columns 1..2 of the [2, 3] tensor.
  Tensor<float> slice({2, 2});
  const int64_t off[2] = {0, 1};
  ASSERT_OK(mfrt_safetensors_read_slice(f, "layers.0.w", off, &slice.d));
  EXPECT_EQ(slice.v, (std::vector<float>{2, 3, 5, 6}));
  const int64_t badOff[2] = {1, 1};
  EXPECT_EQ(mfrt_safetensors_read_slice(f, "layers.0.w", badOff, &slice.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mfrt_last_error()).find("outside the file extent"),
            std::string::npos);

  // Destination mismatches.
  Tensor<double> wrongType({2, 3});
  EXPECT_EQ(mfrt_safetensors_read(f, "layers.0.w", &wrongType.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mfrt_last_error()).find("file dtype F32"),
            std::string::npos);
  Tensor<float> wrongShape({3, 2});
  EXPECT_EQ(mfrt_safetensors_read(f, "layers.0.w", &wrongShape.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mfrt_last_error()).find("file shape [2, 3]"),
            std::string::npos);
  EXPECT_EQ(mfrt_safetensors_read(f, "nope", &a2.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(mfrt_safetensors_find(f, "nope", &idx),
            MFRT_ERROR_INVALID_ARGUMENT);
  mfrt_safetensors_close(f);
}

TEST_F(Safetensors, ReadsHandWrittenFile) {
  // A header in the reference library's style (key order, spaces, other
  // dtypes): U8 [3] at [0,3), F32 [1] at [4, 8); a hole at byte 3.
  std::string header = R"({"__metadata__": {"format": "pt"},
    "x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},
    "u": {"dtype": "U8", "shape": [3], "data_offsets": [0, 3]}})";
  std::string bytes = file(header, 0);
  float v = 2.5f;
  bytes += std::string("\x05\x06\x07\x00", 4);
  bytes += std::string(reinterpret_cast<const char *>(&v), 4);
  std::string p = path("hand.safetensors");
  writeBytes(p, bytes);
  mfrt_safetensors *f = nullptr;
  ASSERT_OK(mfrt_safetensors_open(p.c_str(), &f));
  EXPECT_EQ(mfrt_safetensors_count(f), 2);
  Tensor<float> x({1});
  ASSERT_OK(mfrt_safetensors_read(f, "x", &x.d));
  EXPECT_EQ(x[0], 2.5f);
  const char *dtype;
  ASSERT_OK(mfrt_safetensors_info(f, 1, nullptr, &dtype, nullptr, nullptr));
  EXPECT_STREQ(dtype, "U8");
  mfrt_safetensors_close(f);
}

const char *kGood =
    R"({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}})";

TEST_F(Safetensors, CorruptFilesAreRejectedWithSpecificMessages) {
  expectRejected("\x10\x00\x00", "shorter than the 8-byte header length");
  // Header length claims more bytes than the file has.
  std::string tooBig = file(kGood, 16);
  tooBig[0] = '\xff';
  tooBig[1] = '\xff';
  expectRejected(tooBig, "bytes after the length field");
  std::string huge = file(kGood, 16);
  huge[7] = '\x7f';
  expectRejected(huge, "exceeds the");
  expectRejected(file(R"({"w": {"dtype": "F32", )", 16),
                 "header is not valid JSON");
  expectRejected(file(R"({"w": {"dtype": "F32"} "x": 1})", 16),
                 "expected ',' or '}'");
  expectRejected(file(R"([1, 2])", 0), "header is a array, expected an object");
  expectRejected(
      file(R"({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}})",
           8),
      "tensor 'w': data_offsets [0, 16] exceed the data section of 8 bytes");
  expectRejected(
      file(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
           R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
           12),
      "tensors 'a' and 'b' overlap");
  expectRejected(
      file(R"({"w": {"dtype": "F99", "shape": [2, 2], "data_offsets": [0, 16]}})",
           16),
      "tensor 'w': unknown dtype \"F99\"");
  expectRejected(
      file(R"({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 16]}})",
           16),
      "tensor 'w': shape [2, 3] x 4 bytes (F32) = 24 bytes, but data_offsets "
      "[0, 16] span 16 bytes");
  expectRejected(file(R"({"w": {"dtype": "F32", "data_offsets": [0, 16]}})", 16),
                 "tensor 'w': missing field \"shape\"");
  expectRejected(
      file(R"({"w": {"dtype": "F32", "shape": [-2, 2], "data_offsets": [0, 16]}})",
           16),
      "tensor 'w': shape[0] is not a non-negative integer");
  expectRejected(
      file(R"({"w": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 16]}})",
           16),
      "shape[0] is not a non-negative integer");
  expectRejected(
      file(R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}})",
           16),
      "tensor 'w': data_offsets [8, 4] has begin > end");
  expectRejected(
      file(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0]}})", 16),
      "data_offsets is not a [begin, end] pair");
  expectRejected(file(R"({"w": {"dtype": "F32", "shape": [4], )"
                      R"("data_offsets": [0, 16], "extra": 1}})",
                      16),
                 "tensor 'w': unknown field \"extra\"");
  expectRejected(file(R"({"w": 3})", 0), "tensor 'w': entry is a number");
  expectRejected(file(R"({"__metadata__": {"k": 1}})", 0),
                 "__metadata__: value of \"k\" is not a string");
  expectRejected(file(R"({"a": {}, "a": {}})", 0), "duplicate key \"a\"");
  expectRejected(file(std::string(1000, '[') + std::string(1000, ']'), 0),
                 "nesting too deep");
  expectRejected(file("{\"w\": \"abc", 0), "unterminated string");
  expectRejected(file("{\"w\": \"\\x\"}", 0), "invalid escape");
  expectRejected(file(R"({"w": {"dtype": "F32", "shape": [99999999999, )"
                      R"(99999999999], "data_offsets": [0, 16]}})",
                      16),
                 "overflows");
  expectRejected(file("", 0), "header is not valid JSON");
  expectRejected("", "shorter than the 8-byte");
}

TEST_F(Safetensors, MissingFileIsAnIoError) {
  mfrt_safetensors *f = nullptr;
  std::string p = path("absent.safetensors");
  EXPECT_EQ(mfrt_safetensors_open(p.c_str(), &f), MFRT_ERROR_IO);
  EXPECT_NE(std::string(mfrt_last_error()).find("cannot open"),
            std::string::npos);
  EXPECT_EQ(mfrt_safetensors_open(nullptr, &f), MFRT_ERROR_INVALID_ARGUMENT);
}

// Every truncation and many random byte flips of a valid file: open never
// crashes, truncations are always rejected.
TEST_F(Safetensors, TruncationsAndBitFlipsNeverCrash) {
  Tensor<float> a({3, 5});
  fillNormal(a, 1);
  Tensor<double> b({4});
  mfrt_safetensors_writer *w = nullptr;
  ASSERT_OK(mfrt_safetensors_writer_create(&w));
  ASSERT_OK(mfrt_safetensors_writer_add(w, "a", &a.d));
  ASSERT_OK(mfrt_safetensors_writer_add(w, "b", &b.d));
  ASSERT_OK(mfrt_safetensors_writer_set_metadata(w, "k", "v"));
  std::string p = path("good.safetensors");
  ASSERT_OK(mfrt_safetensors_writer_write(w, p.c_str()));
  mfrt_safetensors_writer_destroy(w);
  std::string good = readBytes(p);
  std::string q = path("mutant.safetensors");
  for (size_t len = 0; len < good.size(); ++len) {
    writeBytes(q, good.substr(0, len));
    mfrt_safetensors *f = nullptr;
    EXPECT_NE(mfrt_safetensors_open(q.c_str(), &f), MFRT_OK) << len;
    mfrt_safetensors_close(f);
  }
  std::mt19937 rng(5);
  Tensor<float> dst({3, 5});
  for (int trial = 0; trial < 400; ++trial) {
    std::string m = good;
    size_t at = rng() % std::min<size_t>(m.size(), 8 + 200);
    m[at] = static_cast<char>(rng());
    writeBytes(q, m);
    mfrt_safetensors *f = nullptr;
    if (mfrt_safetensors_open(q.c_str(), &f) == MFRT_OK) {
      (void)mfrt_safetensors_read(f, "a", &dst.d);
      mfrt_safetensors_close(f);
    }
  }
}

TEST_F(Safetensors, FailedWriteLeavesPreviousFileIntact) {
  Tensor<float> v1({4}, {1, 2, 3, 4}), v2({4}, {5, 6, 7, 8});
  std::string p = path("model.safetensors");
  auto save = [&](Tensor<float> &t) {
    mfrt_safetensors_writer *w = nullptr;
    EXPECT_OK(mfrt_safetensors_writer_create(&w));
    EXPECT_OK(mfrt_safetensors_writer_add(w, "w", &t.d));
    mfrt_status s = mfrt_safetensors_writer_write(w, p.c_str());
    mfrt_safetensors_writer_destroy(w);
    return s;
  };
  auto load = [&] {
    Tensor<float> t({4});
    mfrt_safetensors *f = nullptr;
    EXPECT_OK(mfrt_safetensors_open(p.c_str(), &f));
    EXPECT_OK(mfrt_safetensors_read(f, "w", &t.d));
    mfrt_safetensors_close(f);
    return t.v;
  };
  ASSERT_OK(save(v1));
  std::string before = readBytes(p);
  // Fail inside the header, then inside the data.
  for (int64_t failAt : {4, 70}) {
    mfrt_safetensors_set_write_fault(failAt);
    EXPECT_EQ(save(v2), MFRT_ERROR_IO);
    std::string msg = mfrt_last_error();
    EXPECT_NE(msg.find("injected write fault"), std::string::npos) << msg;
    EXPECT_NE(msg.find("previous file left intact"), std::string::npos) << msg;
    EXPECT_EQ(readBytes(p), before);
    EXPECT_EQ(load(), v1.v);
    EXPECT_EQ(listDir(), std::vector<std::string>{"model.safetensors"})
        << "temporary file left behind";
  }
  mfrt_safetensors_set_write_fault(-1);
  ASSERT_OK(save(v2));
  EXPECT_EQ(load(), v2.v);
  // A directory that does not exist: an I/O error, nothing created.
  std::string bad = path("no/such/dir.safetensors");
  mfrt_safetensors_writer *w = nullptr;
  ASSERT_OK(mfrt_safetensors_writer_create(&w));
  EXPECT_EQ(mfrt_safetensors_writer_write(w, bad.c_str()), MFRT_ERROR_IO);
  mfrt_safetensors_writer_destroy(w);
}

TEST_F(Safetensors, WriterRejectsBadTensors) {
  Tensor<float> a({2});
  mfrt_safetensors_writer *w = nullptr;
  ASSERT_OK(mfrt_safetensors_writer_create(&w));
  ASSERT_OK(mfrt_safetensors_writer_add(w, "a", &a.d));
  EXPECT_EQ(mfrt_safetensors_writer_add(w, "a", &a.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mfrt_last_error()).find("duplicate tensor name 'a'"),
            std::string::npos);
  EXPECT_EQ(mfrt_safetensors_writer_add(w, "", &a.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(mfrt_safetensors_writer_add(w, "__metadata__", &a.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(mfrt_safetensors_writer_add(w, "n", nullptr),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(mfrt_safetensors_writer_add(nullptr, "n", &a.d),
            MFRT_ERROR_INVALID_ARGUMENT);
  mfrt_tensor bad = a.d;
  bad.data = nullptr;
  EXPECT_EQ(mfrt_safetensors_writer_add(w, "n", &bad),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(mfrt_safetensors_writer_write(w, nullptr),
            MFRT_ERROR_INVALID_ARGUMENT);
  mfrt_safetensors_writer_destroy(w);
}

} // namespace
