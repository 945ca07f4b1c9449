//===- Context.cpp - host emulation of the device (tests without a GPU) --===//
//
// "Device" memory is a separate host allocation, so that a program that
// forgets a copy between its host mirror and the device reads stale or
// uninitialised data here too, exactly as it would on a GPU.
//
//===----------------------------------------------------------------------===//

#include "../CachingAllocator.h"
#include "../Context.h"

#include "Support.h"

#include <cstdlib>
#include <cstring>

using namespace mfrt;
using namespace mfrt::gpu;

namespace {

class HostRawAllocator final : public RawAllocator {
public:
  void *allocate(size_t bytes) override {
    return std::aligned_alloc(CachingAllocator::kGranule, bytes);
  }
  void release(void *ptr) override { std::free(ptr); }
};

CachingAllocator &allocator() {
  static HostRawAllocator raw;
  static CachingAllocator cache(raw);
  return cache;
}

} // namespace

namespace mfrt::gpu {
mfrt_status ready(const char *) { return MFRT_OK; }
mfrt_status launched(const char *) { return MFRT_OK; }
} // namespace mfrt::gpu

extern "C" {

int mfrt_device_is_emulated(void) { return 1; }

mfrt_status mfrt_device_init(int64_t ordinal) {
  if (ordinal < 0)
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "mfrt_device_init: ordinal %lld is negative",
                    (long long)ordinal);
  return MFRT_OK;
}

const char *mfrt_device_description(void) { return "host emulation"; }

mfrt_status mfrt_device_alloc(size_t bytes, void **out) {
  return allocator().allocate(bytes, out);
}

mfrt_status mfrt_device_free(void *ptr) { return allocator().release(ptr); }

mfrt_status mfrt_device_copy_to_device(void *dst, const void *src,
                                       size_t bytes) {
  if (bytes)
    std::memcpy(dst, src, bytes);
  return MFRT_OK;
}

mfrt_status mfrt_device_copy_to_host(void *dst, const void *src,
                                     size_t bytes) {
  if (bytes)
    std::memcpy(dst, src, bytes);
  return MFRT_OK;
}

mfrt_status mfrt_device_copy(void *dst, const void *src, size_t bytes) {
  if (bytes)
    std::memmove(dst, src, bytes);
  return MFRT_OK;
}

mfrt_status mfrt_device_zero(void *dst, size_t bytes) {
  if (bytes)
    std::memset(dst, 0, bytes);
  return MFRT_OK;
}

mfrt_status mfrt_device_synchronize(void) { return MFRT_OK; }

mfrt_status mfrt_device_get_memory_stats(mfrt_device_memory_stats *out) {
  if (!out)
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "mfrt_device_get_memory_stats: out is NULL");
  *out = allocator().stats();
  return MFRT_OK;
}

mfrt_status mfrt_device_release_cache(void) {
  allocator().releaseCache();
  return MFRT_OK;
}

} // extern "C"
