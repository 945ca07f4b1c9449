//===- Sha256.cpp - SHA-256 of buffers and files (FIPS 180-4) -------------===//
//
// Checkpoint indexes record each shard's SHA-256 so a corrupt or truncated
// shard is refused on load; our own implementation keeps the runtime free
// of a crypto dependency. Files are hashed in 1 MiB chunks.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_io.h"

#include "../src/Support.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

using namespace mfrt;

namespace {

constexpr uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

class Sha256 {
public:
  void update(const unsigned char *p, size_t n) {
    total_ += n;
    while (n > 0) {
      size_t take = std::min(n, sizeof(block_) - fill_);
      std::memcpy(block_ + fill_, p, take);
      fill_ += take;
      p += take;
      n -= take;
      if (fill_ == sizeof(block_)) {
        compress(block_);
        fill_ = 0;
      }
    }
  }

  void finish(char hex[65]) {
    uint64_t bits = total_ * 8;
    unsigned char pad[72] = {0x80};
    size_t padLen = (fill_ < 56 ? 56 : 120) - fill_;
    for (int i = 0; i < 8; ++i)
      pad[padLen + i] = static_cast<unsigned char>(bits >> (56 - 8 * i));
    update(pad, padLen + 8);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 8; ++i)
      for (int j = 0; j < 8; ++j)
        hex[i * 8 + j] = digits[(h_[i] >> (28 - 4 * j)) & 15];
    hex[64] = '\0';
  }

private:
  void compress(const unsigned char *b) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i)
      w[i] = uint32_t(b[4 * i]) << 24 | uint32_t(b[4 * i + 1]) << 16 |
             uint32_t(b[4 * i + 2]) << 8 | uint32_t(b[4 * i + 3]);
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h_[0], bb = h_[1], c = h_[2], d = h_[3], e = h_[4],
             f = h_[5], g = h_[6], h = h_[7];
    for (int i = 0; i < 64; ++i) {
      uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) +
                    ((e & f) ^ (~e & g)) + kRound[i] + w[i];
      uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) +
                    ((a & bb) ^ (a & c) ^ (bb & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = bb;
      bb = a;
      a = t1 + t2;
    }
    h_[0] += a;
    h_[1] += bb;
    h_[2] += c;
    h_[3] += d;
    h_[4] += e;
    h_[5] += f;
    h_[6] += g;
    h_[7] += h;
  }

  uint32_t h_[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  unsigned char block_[64];
  size_t fill_ = 0;
  uint64_t total_ = 0;
};

} // namespace

extern "C" void mfrt_sha256_hex(const void *data, size_t size, char hex[65]) {
  Sha256 s;
  s.update(static_cast<const unsigned char *>(data), size);
  s.finish(hex);
}

extern "C" mfrt_status mfrt_sha256_file(const char *path, char hex[65],
                                        uint64_t *size) {
  if (!path || !hex)
    return setError(MFRT_ERROR_INVALID_ARGUMENT, "mfrt_sha256_file: NULL %s",
                    path ? "hex" : "path");
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return setError(MFRT_ERROR_IO, "mfrt_sha256_file: %s: cannot open: %s",
                    path, std::strerror(errno));
  Sha256 s;
  std::vector<unsigned char> buf(1 << 20);
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return setError(MFRT_ERROR_IO, "mfrt_sha256_file: %s: cannot read: %s",
                      path, std::strerror(err));
    }
    if (n == 0)
      break;
    s.update(buf.data(), size_t(n));
    total += uint64_t(n);
  }
  ::close(fd);
  s.finish(hex);
  if (size)
    *size = total;
  return MFRT_OK;
}
