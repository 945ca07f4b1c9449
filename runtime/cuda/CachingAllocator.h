//===- CachingAllocator.h - size-class cache over a raw device allocator -===//
//
// cudaMalloc and cudaFree synchronise the device and cost tens of
// microseconds; a training step allocates and frees hundreds of buffers of a
// few dozen distinct sizes, the same every step. The cache keeps freed blocks
// per rounded size and hands them out again. All work runs on one compute
// stream per process, so a block freed by the host may be reused at once: any
// kernel that uses the new owner is queued after every kernel of the old one.
//
// The raw allocator is a parameter so that the policy is tested on the host
// (unittests/RuntimeCuda/CachingAllocatorTest.cpp) with a fake.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_CUDA_CACHINGALLOCATOR_H
#define MOEFOLD_RUNTIME_CUDA_CACHINGALLOCATOR_H

#include "moefold_runtime/mfrt_device.h"

#include <cstddef>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace mfrt::gpu {

/// The underlying allocator: returns nullptr when out of memory.
class RawAllocator {
public:
  virtual ~RawAllocator() = default;
  virtual void *allocate(size_t bytes) = 0;
  virtual void release(void *ptr) = 0;
};

class CachingAllocator {
public:
  explicit CachingAllocator(RawAllocator &raw) : raw_(raw) {}
  ~CachingAllocator();

  /// Blocks are multiples of this (and aligned to it by the raw allocator).
  static constexpr size_t kGranule = 256;
  /// Sizes rounded up to a granule below this, to a power-of-two fraction
  /// (1/8 steps) above, so that slowly varying sizes share blocks.
  static constexpr size_t kSmall = size_t(1) << 20;
  static size_t roundSize(size_t bytes);

  mfrt_status allocate(size_t bytes, void **out);
  mfrt_status release(void *ptr);
  void releaseCache();
  mfrt_device_memory_stats stats() const;

private:
  RawAllocator &raw_;
  mutable std::mutex mutex_;
  std::unordered_map<void *, size_t> live_;     // pointer -> block size
  std::multimap<size_t, void *> cached_;        // block size -> free block
  mfrt_device_memory_stats stats_ = {};
  void releaseCacheLocked();
};

} // namespace mfrt::gpu

#endif // MOEFOLD_RUNTIME_CUDA_CACHINGALLOCATOR_H
