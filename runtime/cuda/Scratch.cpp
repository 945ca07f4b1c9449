//===- Scratch.cpp - per-call scratch device memory ----------------------===//

#include "Context.h"

#include "Support.h"

#include <string>

namespace mfrt::gpu {

mfrt_status Scratch::allocate(const char *fn, size_t bytes) {
  mfrt_device_free(ptr_);
  ptr_ = nullptr;
  mfrt_status status = mfrt_device_alloc(bytes, &ptr_);
  if (status != MFRT_OK) {
    // Copied first: setError formats into the buffer mfrt_last_error reads.
    std::string reason = mfrt_last_error();
    return setError(status, "%s: scratch: %s", fn, reason.c_str());
  }
  return MFRT_OK;
}

} // namespace mfrt::gpu
