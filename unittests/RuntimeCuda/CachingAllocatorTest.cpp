//===- CachingAllocatorTest.cpp - the device cache's policy on a fake ----===//

#include "CachingAllocator.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <map>
#include <set>
#include <vector>

using namespace mfrt::gpu;

namespace {

/// Counts calls; fails allocations beyond `limit` bytes outstanding.
class FakeRaw final : public RawAllocator {
public:
  explicit FakeRaw(size_t limit) : limit_(limit) {}
  void *allocate(size_t bytes) override {
    if (outstanding_ + bytes > limit_)
      return nullptr;
    outstanding_ += bytes;
    ++allocs;
    void *p = std::malloc(bytes);
    sizes_[p] = bytes;
    return p;
  }
  void release(void *p) override {
    outstanding_ -= sizes_[p];
    sizes_.erase(p);
    ++frees;
    std::free(p);
  }
  int allocs = 0, frees = 0;

private:
  size_t limit_, outstanding_ = 0;
  std::map<void *, size_t> sizes_;
};

TEST(CachingAllocator, RoundsToGranulesThenEighths) {
  EXPECT_EQ(CachingAllocator::roundSize(1), 256u);
  EXPECT_EQ(CachingAllocator::roundSize(256), 256u);
  EXPECT_EQ(CachingAllocator::roundSize(257), 512u);
  EXPECT_EQ(CachingAllocator::roundSize(1u << 20), 1u << 20);
  // Just above 1 MiB: steps of 1 MiB / 8 = 128 KiB.
  EXPECT_EQ(CachingAllocator::roundSize((1u << 20) + 1), (1u << 20) + (128u << 10));
  // 5 MiB + 1: enclosing power 4 MiB, steps of 512 KiB.
  EXPECT_EQ(CachingAllocator::roundSize((5u << 20) + 1), (5u << 20) + (512u << 10));
}

TEST(CachingAllocator, ReusesFreedBlocksWithoutNewRawAllocations) {
  FakeRaw raw(1 << 30);
  CachingAllocator cache(raw);
  // One "training step": 50 buffers of a few sizes, freed; ten steps.
  for (int step = 0; step < 10; ++step) {
    std::vector<void *> live;
    for (int i = 0; i < 50; ++i) {
      void *p = nullptr;
      ASSERT_EQ(cache.allocate(1000 * (i % 7 + 1), &p), MFRT_OK);
      live.push_back(p);
    }
    for (void *p : live)
      ASSERT_EQ(cache.release(p), MFRT_OK);
  }
  EXPECT_EQ(raw.allocs, 50); // only the first step reached the raw allocator
  mfrt_device_memory_stats s = cache.stats();
  EXPECT_EQ(s.bytes_in_use, 0u);
  EXPECT_EQ(s.cache_hits, 450);
  EXPECT_GT(s.peak_in_use, 0u);
}

TEST(CachingAllocator, LiveBlocksAreDistinct) {
  FakeRaw raw(1 << 30);
  CachingAllocator cache(raw);
  std::set<void *> seen;
  for (int i = 0; i < 100; ++i) {
    void *p = nullptr;
    ASSERT_EQ(cache.allocate(512, &p), MFRT_OK);
    EXPECT_TRUE(seen.insert(p).second);
  }
}

TEST(CachingAllocator, ReleasesTheCacheAndRetriesWhenFull) {
  FakeRaw raw(4096);
  CachingAllocator cache(raw);
  void *a = nullptr, *b = nullptr;
  ASSERT_EQ(cache.allocate(3000, &a), MFRT_OK); // 3072 bytes
  ASSERT_EQ(cache.release(a), MFRT_OK);         // cached
  // 1024-byte request does not reuse a 3x larger block; the raw allocator
  // still has room.
  ASSERT_EQ(cache.allocate(1024, &b), MFRT_OK);
  ASSERT_EQ(cache.release(b), MFRT_OK);
  // 4000 bytes do not fit beside the cached blocks: cache released, retried.
  void *c = nullptr;
  ASSERT_EQ(cache.allocate(4000, &c), MFRT_OK);
  EXPECT_EQ(raw.frees, 2);
  EXPECT_EQ(cache.stats().bytes_cached, 0u);
}

TEST(CachingAllocator, OutOfMemoryNamesTheRequest) {
  FakeRaw raw(1024);
  CachingAllocator cache(raw);
  void *p = reinterpret_cast<void *>(1);
  EXPECT_EQ(cache.allocate(2048, &p), MFRT_ERROR_OUT_OF_MEMORY);
  EXPECT_EQ(p, nullptr);
  EXPECT_NE(std::string(mfrt_last_error()).find("2048 bytes"), std::string::npos)
      << mfrt_last_error();
}

TEST(CachingAllocator, RejectsForeignAndDoubleFrees) {
  FakeRaw raw(1 << 20);
  CachingAllocator cache(raw);
  int local = 0;
  EXPECT_EQ(cache.release(&local), MFRT_ERROR_INVALID_ARGUMENT);
  void *p = nullptr;
  ASSERT_EQ(cache.allocate(100, &p), MFRT_OK);
  ASSERT_EQ(cache.release(p), MFRT_OK);
  EXPECT_EQ(cache.release(p), MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(cache.release(nullptr), MFRT_OK);
}

TEST(CachingAllocator, ZeroBytesIsNull) {
  FakeRaw raw(1 << 20);
  CachingAllocator cache(raw);
  void *p = reinterpret_cast<void *>(1);
  EXPECT_EQ(cache.allocate(0, &p), MFRT_OK);
  EXPECT_EQ(p, nullptr);
  EXPECT_EQ(raw.allocs, 0);
}

} // namespace
