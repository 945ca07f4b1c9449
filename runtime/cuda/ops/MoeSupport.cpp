//===- MoeSupport.cpp - index validation and the expert permutation ------===//

#include "MoeSupport.h"

#include <climits>

using namespace mfrt;
using namespace mfrt::gpu;
using namespace mfrt::gpu::moe;

static void fillFlag(int32_t *p, int32_t value) {
  forEach(1, [=] MFRT_HD(int64_t) { p[0] = value; });
}

static void lowerOnBadIndex(const int32_t *idx, int64_t n, int32_t numExperts,
                            int32_t *flag) {
  forEach(n, [=] MFRT_HD(int64_t i) {
    int32_t v = idx[i];
    if (v < 0 || v >= numExperts)
      atomicMinI32(flag, int32_t(i));
  });
}

/// table[c][e] = copies of expert e in chunk c (the table starts zeroed).
static void chunkHistogram(const int32_t *idx, int64_t n, int64_t chunk,
                           int64_t chunks, int64_t numExperts, int32_t *table) {
  forEachRow(chunks, [=] MFRT_HD(int64_t c) {
    int32_t *row = table + c * numExperts;
    int64_t end = (c + 1) * chunk < n ? (c + 1) * chunk : n;
    for (int64_t i = c * chunk; i < end; ++i)
      ++row[idx[i]];
  });
}

/// Per expert (one thread each, coalesced over e): table[c][e] becomes the
/// copies of e in chunks before c; counts[e] the total.
static void scanChunks(int64_t chunks, int64_t numExperts, int32_t *table,
                       int32_t *counts) {
  forEach(numExperts, [=] MFRT_HD(int64_t e) {
    int32_t run = 0;
    for (int64_t c = 0; c < chunks; ++c) {
      int32_t v = table[c * numExperts + e];
      table[c * numExperts + e] = run;
      run += v;
    }
    counts[e] = run;
  });
}

/// starts[e] = sum of counts[e'] for e' < e (one thread: E is small).
static void scanExperts(int64_t numExperts, const int32_t *counts,
                        int32_t *starts) {
  forEach(1, [=] MFRT_HD(int64_t) {
    int32_t run = 0;
    for (int64_t e = 0; e < numExperts; ++e) {
      starts[e] = run;
      run += counts[e];
    }
  });
}

/// Each chunk places its copies in flat order: stable.
static void placeRows(const int32_t *idx, int64_t n, int64_t chunk,
                      int64_t chunks, int64_t numExperts,
                      const int32_t *starts, int32_t *table, int32_t *rows) {
  forEachRow(chunks, [=] MFRT_HD(int64_t c) {
    int32_t *row = table + c * numExperts;
    int64_t end = (c + 1) * chunk < n ? (c + 1) * chunk : n;
    for (int64_t i = c * chunk; i < end; ++i) {
      int32_t e = idx[i];
      rows[i] = starts[e] + row[e]++;
    }
  });
}

namespace mfrt::gpu::moe {

mfrt_status DeviceMin::init(const char *fn, int32_t initial) {
  if (mfrt_status st = buf_.allocate(fn, sizeof(int32_t)))
    return st;
  fillFlag(get(), initial);
  return launched(fn);
}

mfrt_status DeviceMin::read(int32_t &out) const {
  return mfrt_device_copy_to_host(&out, get(), sizeof(int32_t));
}

bool checkIndices(ArgChecker &a, const mfrt_tensor *indices,
                  int64_t numExperts) {
  int64_t n = numel(indices);
  if (n > INT32_MAX)
    return a.fail("indices: %lld entries, more than the i32 rows allow",
                  static_cast<long long>(n));
  if (n == 0)
    return true;
  if (ready(a.fn()) != MFRT_OK)
    return a.fail("%s", mfrt_last_error());
  DeviceMin bad;
  if (bad.init(a.fn(), int32_t(n)) != MFRT_OK)
    return a.fail("%s", mfrt_last_error());
  lowerOnBadIndex(ptr<const int32_t>(indices), n, int32_t(numExperts),
                  bad.get());
  int32_t first = 0, value = 0;
  if (launched(a.fn()) != MFRT_OK || bad.read(first) != MFRT_OK)
    return a.fail("%s", mfrt_last_error());
  if (first >= n)
    return true;
  if (mfrt_device_copy_to_host(&value, ptr<const int32_t>(indices) + first,
                               sizeof(value)) != MFRT_OK)
    return a.fail("%s", mfrt_last_error());
  return a.fail("indices: value %d at flat position %lld is outside "
                "[0, %lld)",
                value, static_cast<long long>(first),
                static_cast<long long>(numExperts));
}

mfrt_status Permutation::build(const char *fn, const mfrt_tensor *indices,
                               int64_t numExperts) {
  if (mfrt_status st = ready(fn))
    return st;
  int64_t n = numel(indices);
  // Chunks of at least 64 copies; the table stays within 16 MiB.
  int64_t chunk = 64;
  while (((n + chunk - 1) / chunk) * numExperts > (int64_t(1) << 22))
    chunk *= 2;
  int64_t chunks = (n + chunk - 1) / chunk;
  if (mfrt_status st = rows_.allocate(fn, size_t(n) * sizeof(int32_t)))
    return st;
  if (mfrt_status st =
          counts_.allocate(fn, size_t(2 * numExperts) * sizeof(int32_t)))
    return st;
  if (mfrt_status st = table_.allocate(
          fn, size_t(chunks * numExperts) * sizeof(int32_t)))
    return st;
  if (chunks > 0)
    if (mfrt_status st = mfrt_device_zero(
            table_.get(), size_t(chunks * numExperts) * sizeof(int32_t)))
      return st;
  const int32_t *idx = ptr<const int32_t>(indices);
  int32_t *table = table_.as<int32_t>(), *counts = counts_.as<int32_t>();
  int32_t *starts = counts + numExperts;
  chunkHistogram(idx, n, chunk, chunks, numExperts, table);
  scanChunks(chunks, numExperts, table, counts);
  scanExperts(numExperts, counts, starts);
  placeRows(idx, n, chunk, chunks, numExperts, starts, table,
            rows_.as<int32_t>());
  return launched(fn);
}

} // namespace mfrt::gpu::moe
