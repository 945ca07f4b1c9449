//===- Support.h - argument checking and helpers of the runtime -*- C++ -*-===//
//
// Internal to the runtime: every C entry point validates its descriptors with
// an ArgChecker, which records the first problem as the thread's last error
// ("fn: name: reason") and turns it into MFRT_ERROR_INVALID_ARGUMENT. Nothing
// here throws; the runtime is built without exceptions and RTTI.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_SRC_SUPPORT_H
#define MOEFOLD_RUNTIME_SRC_SUPPORT_H

#include "moefold_runtime/mfrt.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace mfrt {

#if defined(__GNUC__)
#define MFRT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MFRT_PRINTF(a, b)
#endif

/// Records "message" (printf-formatted) as the thread's last error and
/// returns `status`.
mfrt_status setError(mfrt_status status, const char *fmt, ...) MFRT_PRINTF(2, 3);

/// Extents of a tensor; -1 in an expected shape matches any extent.
struct Dims {
  int32_t rank = 0;
  int64_t d[MFRT_MAX_RANK + 1] = {}; // one spare slot for append()

  Dims() = default;
  Dims(std::initializer_list<int64_t> dims) {
    for (int64_t v : dims)
      d[rank++] = v;
  }
  static Dims of(const mfrt_tensor *t) {
    Dims r;
    r.rank = t->rank;
    for (int32_t i = 0; i < t->rank; ++i)
      r.d[i] = t->shape[i];
    return r;
  }
  /// Same leading extents, last extent replaced by `last`.
  Dims withLast(int64_t last) const {
    Dims r = *this;
    r.d[r.rank - 1] = last;
    return r;
  }
  /// Same extents with `last` appended.
  Dims append(int64_t last) const {
    Dims r = *this;
    r.d[r.rank++] = last;
    return r;
  }
  /// Leading extents without the last.
  Dims dropLast() const {
    Dims r = *this;
    --r.rank;
    return r;
  }
};

/// Writes "[a, b, c]" into buf.
void formatDims(const Dims &dims, char *buf, size_t size);

inline int64_t numel(const mfrt_tensor *t) { return mfrt_tensor_numel(t); }
/// Number of rows of a [..., N] tensor (product of all but the last extent).
inline int64_t rows(const mfrt_tensor *t) {
  int64_t n = 1;
  for (int32_t i = 0; i + 1 < t->rank; ++i)
    n *= t->shape[i];
  return n;
}
inline int64_t lastDim(const mfrt_tensor *t) {
  return t->rank == 0 ? 1 : t->shape[t->rank - 1];
}
template <typename T> T *ptr(const mfrt_tensor *t) {
  return static_cast<T *>(t->data);
}

/// Validates the arguments of one entry point. Each check returns false after
/// recording the error; the first error wins.
class ArgChecker {
public:
  explicit ArgChecker(const char *fn) : fn_(fn) {}
  /// The cuda backend's kernels also store floats as bf16.
  ArgChecker &allowBf16() {
    allowBf16_ = true;
    return *this;
  }

  /// Non-NULL, rank in [0, MFRT_MAX_RANK], extents >= 0, data non-NULL when
  /// there are elements, dtype inside the enum.
  bool tensor(const mfrt_tensor *t, const char *name);
  /// tensor() plus F32/F64 (or BF16 after allowBf16()), the same float dtype
  /// as every earlier float tensor of the call.
  bool floatTensor(const mfrt_tensor *t, const char *name);
  /// tensor() plus dtype I32.
  bool indexTensor(const mfrt_tensor *t, const char *name);
  /// floatTensor() and scalar() for a one-element tensor.
  bool floatScalar(const mfrt_tensor *t, const char *name);
  bool shape(const mfrt_tensor *t, const char *name, const Dims &expected);
  bool rankAtLeast(const mfrt_tensor *t, const char *name, int32_t rank);
  /// Optional float tensor: true when NULL, else floatTensor() + shape().
  bool optFloat(const mfrt_tensor *t, const char *name, const Dims &expected);
  bool fail(const char *fmt, ...) MFRT_PRINTF(2, 3);

  mfrt_status status() const { return status_; }
  /// The float dtype of the call (F32 when no float tensor was seen).
  mfrt_dtype floatType() const { return haveFloat_ ? float_ : MFRT_F32; }
  const char *fn() const { return fn_; }

private:
  const char *fn_;
  mfrt_status status_ = MFRT_OK;
  bool haveFloat_ = false;
  bool allowBf16_ = false;
  mfrt_dtype float_ = MFRT_F32;
};

/// Heap scratch buffer without exceptions: check ok() after construction.
template <typename T> class Buffer {
public:
  explicit Buffer(int64_t n, bool zero = false) : n_(n) {
    size_t bytes = static_cast<size_t>(n > 0 ? n : 1) * sizeof(T);
    p_ = static_cast<T *>(zero ? std::calloc(1, bytes) : std::malloc(bytes));
  }
  ~Buffer() { std::free(p_); }
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  bool ok() const { return p_ != nullptr; }
  T *data() { return p_; }
  T &operator[](int64_t i) { return p_[i]; }
  int64_t size() const { return n_; }

private:
  T *p_;
  int64_t n_;
};

/// Records an out-of-memory error for `fn`.
mfrt_status outOfMemory(const char *fn);

/// Calls f(float{}) or f(double{}) by dtype.
template <typename F> mfrt_status dispatchFloat(mfrt_dtype dtype, F &&f) {
  if (dtype == MFRT_F64)
    return f(double{});
  return f(float{});
}

/// Zeroes the elements of an optional output.
inline void zeroTensor(const mfrt_tensor *t) {
  if (t && t->data)
    std::memset(t->data, 0,
                static_cast<size_t>(numel(t)) * mfrt_dtype_size(t->dtype));
}

} // namespace mfrt

#endif // MOEFOLD_RUNTIME_SRC_SUPPORT_H
