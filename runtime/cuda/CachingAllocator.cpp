//===- CachingAllocator.cpp - size-class cache over a raw allocator ------===//

#include "CachingAllocator.h"

#include "Support.h"

namespace mfrt::gpu {

CachingAllocator::~CachingAllocator() {
  // Memory still handed out belongs to a program that is exiting; only the
  // cache is returned.
  releaseCacheLocked();
}

size_t CachingAllocator::roundSize(size_t bytes) {
  size_t granules = (bytes + kGranule - 1) / kGranule;
  size_t size = granules * kGranule;
  if (size <= kSmall)
    return size;
  // Round up to 1/8 of the enclosing power of two.
  size_t power = kSmall;
  while (power < size / 2)
    power *= 2;
  size_t step = power / 8;
  return (size + step - 1) / step * step;
}

mfrt_status CachingAllocator::allocate(size_t bytes, void **out) {
  if (!out)
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "mfrt_device_alloc: out is NULL");
  *out = nullptr;
  if (bytes == 0)
    return MFRT_OK;
  if (bytes > (size_t(1) << 50))
    return setError(MFRT_ERROR_OUT_OF_MEMORY,
                    "mfrt_device_alloc: %zu bytes is beyond any device", bytes);
  size_t size = roundSize(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = cached_.lower_bound(size);
  // Reuse a cached block of the same class, or one at most 2x larger.
  if (it != cached_.end() && it->first <= 2 * size) {
    void *ptr = it->second;
    size_t blockSize = it->first;
    cached_.erase(it);
    stats_.bytes_cached -= blockSize;
    live_[ptr] = blockSize;
    stats_.bytes_in_use += blockSize;
    ++stats_.cache_hits;
    if (stats_.bytes_in_use > stats_.peak_in_use)
      stats_.peak_in_use = stats_.bytes_in_use;
    *out = ptr;
    return MFRT_OK;
  }
  void *ptr = raw_.allocate(size);
  if (!ptr && !cached_.empty()) {
    releaseCacheLocked();
    ptr = raw_.allocate(size);
  }
  if (!ptr)
    return setError(MFRT_ERROR_OUT_OF_MEMORY,
                    "mfrt_device_alloc: out of device memory allocating %zu "
                    "bytes (%zu bytes in use, cache released)",
                    size, stats_.bytes_in_use);
  ++stats_.raw_allocs;
  live_[ptr] = size;
  stats_.bytes_in_use += size;
  if (stats_.bytes_in_use > stats_.peak_in_use)
    stats_.peak_in_use = stats_.bytes_in_use;
  *out = ptr;
  return MFRT_OK;
}

mfrt_status CachingAllocator::release(void *ptr) {
  if (!ptr)
    return MFRT_OK;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(ptr);
  if (it == live_.end())
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "mfrt_device_free: %p was not allocated by "
                    "mfrt_device_alloc (or was freed twice)",
                    ptr);
  size_t size = it->second;
  live_.erase(it);
  stats_.bytes_in_use -= size;
  cached_.emplace(size, ptr);
  stats_.bytes_cached += size;
  return MFRT_OK;
}

void CachingAllocator::releaseCache() {
  std::lock_guard<std::mutex> lock(mutex_);
  releaseCacheLocked();
}

void CachingAllocator::releaseCacheLocked() {
  for (auto &entry : cached_) {
    raw_.release(entry.second);
    ++stats_.raw_frees;
  }
  cached_.clear();
  stats_.bytes_cached = 0;
}

mfrt_device_memory_stats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

} // namespace mfrt::gpu
