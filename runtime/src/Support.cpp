//===- Support.cpp - last error, descriptor validation --------------------===//

#include "Support.h"

#include <cstdarg>
#include <cstdio>

namespace {
thread_local char lastError[1024] = {0};
} // namespace

extern "C" const char *mfrt_last_error(void) { return lastError; }

extern "C" void mfrt_clear_last_error(void) { lastError[0] = '\0'; }

extern "C" int64_t mfrt_tensor_numel(const mfrt_tensor *t) {
  if (!t || t->rank < 0 || t->rank > MFRT_MAX_RANK)
    return -1;
  int64_t n = 1;
  for (int32_t i = 0; i < t->rank; ++i) {
    if (t->shape[i] < 0)
      return -1;
    if (t->shape[i] != 0 && n > INT64_MAX / t->shape[i])
      return -1;
    n *= t->shape[i];
  }
  return n;
}

namespace mfrt {

mfrt_status setError(mfrt_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(lastError, sizeof(lastError), fmt, ap);
  va_end(ap);
  return status;
}

mfrt_status outOfMemory(const char *fn) {
  return setError(MFRT_ERROR_OUT_OF_MEMORY, "%s: out of memory", fn);
}

void formatDims(const Dims &dims, char *buf, size_t size) {
  size_t used = 0;
  used += std::snprintf(buf + used, size - used, "[");
  for (int32_t i = 0; i < dims.rank && used < size; ++i) {
    if (dims.d[i] < 0)
      used += std::snprintf(buf + used, size - used, "%s?", i ? ", " : "");
    else
      used += std::snprintf(buf + used, size - used, "%s%lld", i ? ", " : "",
                            static_cast<long long>(dims.d[i]));
  }
  if (used < size)
    std::snprintf(buf + used, size - used, "]");
}

bool ArgChecker::fail(const char *fmt, ...) {
  if (status_ != MFRT_OK)
    return false;
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  status_ = setError(MFRT_ERROR_INVALID_ARGUMENT, "%s: %s", fn_, msg);
  return false;
}

bool ArgChecker::tensor(const mfrt_tensor *t, const char *name) {
  if (status_ != MFRT_OK)
    return false;
  if (!t)
    return fail("%s: NULL tensor descriptor", name);
  if (t->rank < 0 || t->rank > MFRT_MAX_RANK)
    return fail("%s: rank %d outside [0, %d]", name, t->rank, MFRT_MAX_RANK);
  for (int32_t i = 0; i < t->rank; ++i)
    if (t->shape[i] < 0)
      return fail("%s: negative extent %lld in dimension %d", name,
                  static_cast<long long>(t->shape[i]), i);
  int64_t n = numel(t);
  if (n < 0)
    return fail("%s: element count overflows", name);
  // Read the dtype as a plain integer: a C caller may pass any value, and
  // loading an out-of-range enum value is undefined in C++.
  int raw;
  static_assert(sizeof(raw) == sizeof(t->dtype), "mfrt_dtype is int-sized");
  std::memcpy(&raw, &t->dtype, sizeof(raw));
  if (raw < MFRT_F32 || raw > MFRT_I64)
    return fail("%s: unknown dtype %d", name, raw);
  if (n > 0 && !t->data)
    return fail("%s: NULL data pointer", name);
  return true;
}

bool ArgChecker::floatTensor(const mfrt_tensor *t, const char *name) {
  if (!tensor(t, name))
    return false;
  if (t->dtype != MFRT_F32 && t->dtype != MFRT_F64 &&
      !(allowBf16_ && t->dtype == MFRT_BF16))
    return fail("%s: expected dtype f32%s or f64, got %s", name,
                allowBf16_ ? ", bf16" : "", mfrt_dtype_name(t->dtype));
  if (!haveFloat_) {
    haveFloat_ = true;
    float_ = t->dtype;
  } else if (t->dtype != float_) {
    return fail("%s: dtype %s differs from the call's %s", name,
                mfrt_dtype_name(t->dtype), mfrt_dtype_name(float_));
  }
  return true;
}

bool ArgChecker::indexTensor(const mfrt_tensor *t, const char *name) {
  if (!tensor(t, name))
    return false;
  if (t->dtype != MFRT_I32)
    return fail("%s: expected dtype i32, got %s", name,
                mfrt_dtype_name(t->dtype));
  return true;
}

bool ArgChecker::floatScalar(const mfrt_tensor *t, const char *name) {
  if (!floatTensor(t, name))
    return false;
  if (numel(t) != 1 || t->rank > 1)
    return fail("%s: expected a one-element scalar tensor", name);
  return true;
}

bool ArgChecker::shape(const mfrt_tensor *t, const char *name,
                       const Dims &expected) {
  if (status_ != MFRT_OK)
    return false;
  bool same = t->rank == expected.rank;
  for (int32_t i = 0; same && i < t->rank; ++i)
    same = expected.d[i] < 0 || expected.d[i] == t->shape[i];
  if (same)
    return true;
  char want[256], got[256];
  formatDims(expected, want, sizeof(want));
  formatDims(Dims::of(t), got, sizeof(got));
  return fail("%s: expected shape %s, got %s", name, want, got);
}

bool ArgChecker::rankAtLeast(const mfrt_tensor *t, const char *name,
                             int32_t rank) {
  if (status_ != MFRT_OK)
    return false;
  if (t->rank < rank)
    return fail("%s: expected rank >= %d, got %d", name, rank, t->rank);
  return true;
}

bool ArgChecker::optFloat(const mfrt_tensor *t, const char *name,
                          const Dims &expected) {
  if (status_ != MFRT_OK)
    return false;
  if (!t)
    return true;
  return floatTensor(t, name) && shape(t, name, expected);
}

} // namespace mfrt
