//===- NcclTestUtil.h - helpers of the NCCL backend's GPU tests -*- C++ -*-===//
//
// The NCCL tests run as one GoogleTest binary under mpirun (one GPU per
// rank). Every rank runs every test; collectives are made by all ranks in
// the same order, so tests use EXPECT_* around them. Expected values are
// computed on each rank from the hand-written member lists (MeshTables.h),
// never from the runtime's answers.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_UNITTESTS_RUNTIMENCCL_NCCLTESTUTIL_H
#define MOEFOLD_UNITTESTS_RUNTIMENCCL_NCCLTESTUTIL_H

#include "MpiTestSupport.h"

#include "moefold_runtime/mfrt_comm.h"
#include "moefold_runtime/mfrt_device.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace nccl_test {

using comm_test::flatten;
using comm_test::Group;
using comm_test::myRank;
using comm_test::TestGroup;
using comm_test::testGroups;
using comm_test::unflatten;
using comm_test::worldSize;

/// bf16 as raw 16-bit words (exact for the small integers the tests use).
struct Bf16 {
  uint16_t bits = 0;
};
inline Bf16 toBf16(double v) {
  float f = static_cast<float>(v);
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return Bf16{static_cast<uint16_t>(u >> 16)}; // exact values only
}
inline double fromBf16(Bf16 b) {
  uint32_t u = uint32_t(b.bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

template <typename T> constexpr mfrt_dtype dtypeOf();
template <> constexpr mfrt_dtype dtypeOf<float>() { return MFRT_F32; }
template <> constexpr mfrt_dtype dtypeOf<double>() { return MFRT_F64; }
template <> constexpr mfrt_dtype dtypeOf<int32_t>() { return MFRT_I32; }
template <> constexpr mfrt_dtype dtypeOf<int64_t>() { return MFRT_I64; }
template <> constexpr mfrt_dtype dtypeOf<Bf16>() { return MFRT_BF16; }

template <typename T> double toDouble(T v) { return static_cast<double>(v); }
template <> inline double toDouble(Bf16 v) { return fromBf16(v); }
template <typename T> T fromDouble(double v) { return static_cast<T>(v); }
template <> inline Bf16 fromDouble(double v) { return toBf16(v); }

/// A dense tensor in device memory with a host mirror.
template <typename T> struct DeviceTensor {
  std::vector<T> host;
  std::vector<int64_t> shape;
  mfrt_tensor d{};

  explicit DeviceTensor(std::vector<int64_t> s) : shape(std::move(s)) {
    int64_t n = 1;
    for (int64_t e : shape)
      n *= e;
    host.assign(static_cast<size_t>(n), fromDouble<T>(-7));
    d.dtype = dtypeOf<T>();
    d.rank = static_cast<int32_t>(shape.size());
    for (size_t i = 0; i < shape.size(); ++i)
      d.shape[i] = shape[i];
    if (mfrt_device_alloc(host.size() * sizeof(T), &d.data) != MFRT_OK)
      ADD_FAILURE() << mfrt_last_error();
  }
  ~DeviceTensor() { mfrt_device_free(d.data); }
  DeviceTensor(const DeviceTensor &) = delete;
  DeviceTensor &operator=(const DeviceTensor &) = delete;
  void upload() {
    if (host.empty())
      return;
    EXPECT_EQ(mfrt_device_copy_to_device(d.data, host.data(),
                                         host.size() * sizeof(T)),
              MFRT_OK)
        << mfrt_last_error();
  }
  void download() {
    if (host.empty())
      return;
    EXPECT_EQ(mfrt_device_copy_to_host(host.data(), d.data,
                                       host.size() * sizeof(T)),
              MFRT_OK)
        << mfrt_last_error();
  }
  mfrt_tensor *desc() { return &d; }
  int64_t size() const { return static_cast<int64_t>(host.size()); }
  T &operator[](int64_t i) { return host[static_cast<size_t>(i)]; }
};

/// True on every rank iff `ok` holds on every rank.
bool onAllRanks(bool ok);

} // namespace nccl_test

#endif // MOEFOLD_UNITTESTS_RUNTIMENCCL_NCCLTESTUTIL_H
