//===- CommTestUtil.h - helpers of the MPI comm backend tests ---*- C++ -*-===//
//
// The comm tests run as one GoogleTest binary under mpirun -np N (N = 1, 2,
// 4, 8). Every rank runs every test; collectives inside a test must be made
// by all ranks in the same order, so tests use EXPECT_* (which never leaves
// the test early) around collectives. Expected values are computed on each
// rank from the hand-written member lists, never from the runtime's answers.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_UNITTESTS_RUNTIMECOMM_COMMTESTUTIL_H
#define MOEFOLD_UNITTESTS_RUNTIMECOMM_COMMTESTUTIL_H

#include "MpiTestSupport.h"

#include <string>
#include <vector>

namespace comm_test {

/// bf16 travels as raw 16-bit words.
struct Bf16 {
  uint16_t bits = 0;
  Bf16() = default;
  Bf16(int64_t v) : bits(static_cast<uint16_t>(v)) {}
  bool operator==(const Bf16 &o) const { return bits == o.bits; }
};
inline std::ostream &operator<<(std::ostream &os, const Bf16 &b) {
  return os << "bf16(0x" << std::hex << b.bits << std::dec << ")";
}

template <typename T> constexpr mfrt_dtype dtypeOf();
template <> constexpr mfrt_dtype dtypeOf<float>() { return MFRT_F32; }
template <> constexpr mfrt_dtype dtypeOf<double>() { return MFRT_F64; }
template <> constexpr mfrt_dtype dtypeOf<int32_t>() { return MFRT_I32; }
template <> constexpr mfrt_dtype dtypeOf<int64_t>() { return MFRT_I64; }
template <> constexpr mfrt_dtype dtypeOf<Bf16>() { return MFRT_BF16; }

/// Owns the data of a dense tensor and a descriptor pointing at it.
template <typename T> struct HostTensor {
  std::vector<T> v;
  std::vector<int64_t> shape;
  mfrt_tensor d{};

  explicit HostTensor(std::vector<int64_t> s, T fill = T(0))
      : shape(std::move(s)) {
    int64_t n = 1;
    for (int64_t e : shape)
      n *= e;
    v.assign(static_cast<size_t>(n), fill);
    d.data = v.empty() ? nullptr : v.data();
    d.dtype = dtypeOf<T>();
    d.rank = static_cast<int32_t>(shape.size());
    for (size_t i = 0; i < shape.size(); ++i)
      d.shape[i] = shape[i];
  }
  HostTensor(const HostTensor &) = delete;
  HostTensor &operator=(const HostTensor &) = delete;
  mfrt_tensor *desc() { return &d; }
  int64_t size() const { return static_cast<int64_t>(v.size()); }
  T &operator[](int64_t i) { return v[static_cast<size_t>(i)]; }
};

/// True on every rank iff `ok` holds on every rank.
bool onAllRanks(bool ok);

/// True iff every rank passes the same string.
bool sameOnAllRanks(const std::string &s);

} // namespace comm_test

#endif // MOEFOLD_UNITTESTS_RUNTIMECOMM_COMMTESTUTIL_H
