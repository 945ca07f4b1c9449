//===- DataLoader.cpp - token file reader with global-index batches -------===//

#include "moefold_runtime/mfrt_data.h"

#include "../src/Support.h"

#include <cerrno>
#include <cstring>
#include <new>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mfrt;

struct mfrt_token_data {
  int fd = -1;
  std::string path;
  int width = 0;
  int64_t numTokens = 0;
  int64_t vocab = 0;
  ~mfrt_token_data() {
    if (fd >= 0)
      ::close(fd);
  }
};

namespace {

bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

/// Reads tokens [first, first + count) as int64 values into out, checking
/// them against the vocabulary.
mfrt_status readTokens(const mfrt_token_data *d, const char *fn,
                       int64_t first, int64_t count, int64_t *out) {
  unsigned char buf[4096];
  int64_t perChunk = int64_t(sizeof(buf)) / d->width;
  for (int64_t done = 0; done < count;) {
    int64_t n = count - done < perChunk ? count - done : perChunk;
    size_t bytes = size_t(n) * d->width;
    off_t at = off_t(first + done) * d->width;
    size_t got = 0;
    while (got < bytes) {
      ssize_t r = ::pread(d->fd, buf + got, bytes - got, at + off_t(got));
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return setError(MFRT_ERROR_IO, "%s: %s: read failed: %s", fn,
                        d->path.c_str(),
                        r < 0 ? std::strerror(errno) : "file shrank");
      got += size_t(r);
    }
    for (int64_t i = 0; i < n; ++i) {
      const unsigned char *p = buf + i * d->width;
      int64_t v = d->width == 2
                      ? int64_t(p[0] | (p[1] << 8))
                      : int64_t(uint32_t(p[0]) | (uint32_t(p[1]) << 8) |
                                (uint32_t(p[2]) << 16) |
                                (uint32_t(p[3]) << 24));
      if (v >= d->vocab)
        return setError(MFRT_ERROR_FORMAT,
                        "%s: %s: token %lld at position %lld is >= the "
                        "vocabulary size %lld",
                        fn, d->path.c_str(), static_cast<long long>(v),
                        static_cast<long long>(first + done + i),
                        static_cast<long long>(d->vocab));
      if (out)
        out[done + i] = v;
    }
    done += n;
  }
  return MFRT_OK;
}

} // namespace

extern "C" mfrt_status mfrt_token_data_open(const char *path,
                                            mfrt_token_format format,
                                            int64_t vocab_size,
                                            mfrt_token_data **out) {
  const char *fn = "mfrt_token_data_open";
  if (!path || !out)
    return setError(MFRT_ERROR_INVALID_ARGUMENT, "%s: NULL %s", fn,
                    path ? "out" : "path");
  *out = nullptr;
  if (vocab_size <= 0 || vocab_size > INT32_MAX)
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "%s: vocab_size %lld outside [1, 2^31 - 1]", fn,
                    static_cast<long long>(vocab_size));
  std::string p = path;
  // Read the format as a plain int: any value may come from C.
  int fmt;
  static_assert(sizeof(fmt) == sizeof(format), "enum is int-sized");
  std::memcpy(&fmt, &format, sizeof(fmt));
  int width;
  if (fmt == MFRT_TOKENS_U16 || fmt == MFRT_TOKENS_U32)
    width = fmt;
  else if (fmt != MFRT_TOKENS_AUTO)
    return setError(MFRT_ERROR_INVALID_ARGUMENT, "%s: unknown format %d", fn,
                    fmt);
  else if (endsWith(p, ".u16") || endsWith(p, ".bin"))
    width = 2;
  else if (endsWith(p, ".u32"))
    width = 4;
  else
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "%s: %s: cannot infer the token width from the extension "
                    "(use .u16, .bin or .u32, or pass the format)",
                    fn, path);
  mfrt_token_data *d = new (std::nothrow) mfrt_token_data;
  if (!d)
    return outOfMemory(fn);
  d->path = p;
  d->width = width;
  d->vocab = vocab_size;
  d->fd = ::open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (d->fd < 0 || ::fstat(d->fd, &st) != 0) {
    int err = errno;
    delete d;
    return setError(MFRT_ERROR_IO, "%s: %s: cannot open: %s", fn, path,
                    std::strerror(err));
  }
  if (st.st_size % width != 0) {
    delete d;
    return setError(MFRT_ERROR_FORMAT,
                    "%s: %s: size %lld bytes is not a multiple of the %d-byte "
                    "token width",
                    fn, path, static_cast<long long>(st.st_size), width);
  }
  d->numTokens = st.st_size / width;
  if (d->numTokens < 2) {
    long long n = d->numTokens;
    delete d;
    return setError(MFRT_ERROR_FORMAT,
                    "%s: %s: %lld tokens, need at least 2 (input + target)",
                    fn, path, n);
  }
  *out = d;
  return MFRT_OK;
}

extern "C" void mfrt_token_data_close(mfrt_token_data *data) { delete data; }

extern "C" int64_t mfrt_token_data_num_tokens(const mfrt_token_data *data) {
  return data ? data->numTokens : 0;
}

extern "C" mfrt_status mfrt_token_data_batch(const mfrt_token_data *data,
                                             int64_t step,
                                             int64_t global_batch,
                                             int64_t row_begin,
                                             const mfrt_tensor *tokens,
                                             const mfrt_tensor *targets) {
  ArgChecker a("mfrt_token_data_batch");
  if (!data) {
    a.fail("NULL data");
    return a.status();
  }
  if (!a.indexTensor(tokens, "tokens") ||
      !a.shape(tokens, "tokens", {-1, -1}) ||
      !a.indexTensor(targets, "targets") ||
      !a.shape(targets, "targets", Dims::of(tokens)))
    return a.status();
  int64_t rowsN = tokens->shape[0], s = tokens->shape[1];
  if (step < 0 || global_batch <= 0 || row_begin < 0 ||
      row_begin + rowsN > global_batch) {
    a.fail("rows [%lld, %lld) of step %lld are outside a global batch of "
           "%lld",
           static_cast<long long>(row_begin),
           static_cast<long long>(row_begin + rowsN),
           static_cast<long long>(step), static_cast<long long>(global_batch));
    return a.status();
  }
  if (s <= 0 || s + 1 > data->numTokens) {
    a.fail("seq_len %lld needs %lld tokens, the file has %lld",
           static_cast<long long>(s), static_cast<long long>(s + 1),
           static_cast<long long>(data->numTokens));
    return a.status();
  }
  int64_t windows = (data->numTokens - 1) / s;
  Buffer<int64_t> buf(s + 1);
  if (!buf.ok())
    return outOfMemory(a.fn());
  for (int64_t r = 0; r < rowsN; ++r) {
    int64_t g = step * global_batch + row_begin + r;
    int64_t start = (g % windows) * s;
    if (mfrt_status st =
            readTokens(data, a.fn(), start, s + 1, buf.data()))
      return st;
    for (int64_t j = 0; j < s; ++j) {
      ptr<int32_t>(tokens)[r * s + j] = static_cast<int32_t>(buf[j]);
      ptr<int32_t>(targets)[r * s + j] = static_cast<int32_t>(buf[j + 1]);
    }
  }
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_token_data_validate(const mfrt_token_data *data) {
  if (!data)
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "mfrt_token_data_validate: NULL data");
  return readTokens(data, "mfrt_token_data_validate", 0, data->numTokens,
                    nullptr);
}
