//===- DeviceTensor.h - test tensors in the cuda backend's device memory -===//
//
// The same test sources link against moefold_runtime_cuda_emulated (label
// `unit`, every machine) and moefold_runtime_cuda (label `gpu`, skipped with
// a visible message where no CUDA device is present).
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_UNITTESTS_RUNTIMECUDA_DEVICETENSOR_H
#define MOEFOLD_UNITTESTS_RUNTIMECUDA_DEVICETENSOR_H

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace mfrt::test {

/// The storage dtypes a kernel parity test runs for, and their names as
/// test-name suffixes.
inline auto storageDtypes() {
  return ::testing::Values(MFRT_F32, MFRT_F64, MFRT_BF16);
}
inline std::string dtypeName(const ::testing::TestParamInfo<mfrt_dtype> &i) {
  return mfrt_dtype_name(i.param);
}

/// Points `desc` at `data` with the given dtype and shape; returns it.
inline const mfrt_tensor *fillDesc(mfrt_tensor &desc, void *data,
                                   mfrt_dtype dtype,
                                   const std::vector<int64_t> &shape) {
  desc.data = data;
  desc.dtype = dtype;
  desc.rank = int32_t(shape.size());
  for (size_t i = 0; i < shape.size(); ++i)
    desc.shape[i] = shape[i];
  return &desc;
}

/// Skips the current test, with the reason, when no device can be used.
#define MFRT_REQUIRE_DEVICE()                                                  \
  do {                                                                         \
    if (mfrt_device_init(0) != MFRT_OK)                                        \
      GTEST_SKIP() << "no CUDA device: " << mfrt_last_error();                 \
  } while (0)

/// bf16 rounding of a float (round to nearest even), independent of the
/// backend's own converter.
inline float roundBf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint32_t lsb = (u >> 16) & 1u;
  u = (u + 0x7fffu + lsb) & 0xffff0000u;
  std::memcpy(&f, &u, 4);
  return f;
}

/// A tensor with a host copy and a device copy.
class DeviceTensor {
public:
  DeviceTensor(mfrt_dtype dtype, std::vector<int64_t> shape)
      : dtype_(dtype), shape_(std::move(shape)) {
    int64_t n = 1;
    for (int64_t d : shape_)
      n *= d;
    numel_ = n;
    EXPECT_EQ(mfrt_device_alloc(bytes(), &device_), MFRT_OK)
        << mfrt_last_error();
  }
  ~DeviceTensor() { mfrt_device_free(device_); }
  DeviceTensor(const DeviceTensor &) = delete;
  DeviceTensor &operator=(const DeviceTensor &) = delete;

  size_t bytes() const { return size_t(numel_) * mfrt_dtype_size(dtype_); }
  int64_t numel() const { return numel_; }

  /// Uploads values given as doubles (rounded to the storage type).
  void upload(const std::vector<double> &values) {
    EXPECT_EQ(int64_t(values.size()), numel_);
    std::vector<unsigned char> host(bytes());
    for (int64_t i = 0; i < numel_; ++i) {
      switch (dtype_) {
      case MFRT_F32: reinterpret_cast<float *>(host.data())[i] = float(values[i]); break;
      case MFRT_F64: reinterpret_cast<double *>(host.data())[i] = values[i]; break;
      case MFRT_BF16: {
        float f = roundBf16(float(values[i]));
        uint32_t u;
        std::memcpy(&u, &f, 4);
        reinterpret_cast<uint16_t *>(host.data())[i] = uint16_t(u >> 16);
        break;
      }
      case MFRT_I32: reinterpret_cast<int32_t *>(host.data())[i] = int32_t(values[i]); break;
      case MFRT_I64: reinterpret_cast<int64_t *>(host.data())[i] = int64_t(values[i]); break;
      }
    }
    EXPECT_EQ(mfrt_device_copy_to_device(device_, host.data(), bytes()), MFRT_OK)
        << mfrt_last_error();
  }
  /// Downloads the values as doubles.
  std::vector<double> download() const {
    std::vector<unsigned char> host(bytes());
    EXPECT_EQ(mfrt_device_copy_to_host(host.data(), device_, bytes()), MFRT_OK)
        << mfrt_last_error();
    std::vector<double> values(numel_);
    for (int64_t i = 0; i < numel_; ++i) {
      switch (dtype_) {
      case MFRT_F32: values[i] = reinterpret_cast<float *>(host.data())[i]; break;
      case MFRT_F64: values[i] = reinterpret_cast<double *>(host.data())[i]; break;
      case MFRT_BF16: {
        uint32_t u = uint32_t(reinterpret_cast<uint16_t *>(host.data())[i]) << 16;
        float f;
        std::memcpy(&f, &u, 4);
        values[i] = f;
        break;
      }
      case MFRT_I32: values[i] = reinterpret_cast<int32_t *>(host.data())[i]; break;
      case MFRT_I64: values[i] = double(reinterpret_cast<int64_t *>(host.data())[i]); break;
      }
    }
    return values;
  }
  /// The descriptor kernels take (device data).
  const mfrt_tensor *desc() {
    return fillDesc(desc_, device_, dtype_, shape_);
  }

private:
  mfrt_dtype dtype_;
  std::vector<int64_t> shape_;
  int64_t numel_ = 0;
  void *device_ = nullptr;
  mfrt_tensor desc_ = {};
};

/// A host tensor for the CPU backend's reference result.
class HostTensor {
public:
  HostTensor(mfrt_dtype dtype, std::vector<int64_t> shape,
             const std::vector<double> &values = {})
      : dtype_(dtype), shape_(std::move(shape)) {
    int64_t n = 1;
    for (int64_t d : shape_)
      n *= d;
    data_.assign(size_t(n) * mfrt_dtype_size(dtype), 0);
    for (size_t i = 0; i < values.size(); ++i)
      set(int64_t(i), values[i]);
  }
  void set(int64_t i, double v) {
    switch (dtype_) {
    case MFRT_F32: reinterpret_cast<float *>(data_.data())[i] = float(v); break;
    case MFRT_F64: reinterpret_cast<double *>(data_.data())[i] = v; break;
    case MFRT_I32: reinterpret_cast<int32_t *>(data_.data())[i] = int32_t(v); break;
    default: ADD_FAILURE() << "HostTensor: unsupported dtype"; break;
    }
  }
  double get(int64_t i) const {
    switch (dtype_) {
    case MFRT_F32: return reinterpret_cast<const float *>(data_.data())[i];
    case MFRT_F64: return reinterpret_cast<const double *>(data_.data())[i];
    case MFRT_I32: return reinterpret_cast<const int32_t *>(data_.data())[i];
    default: return NAN;
    }
  }
  std::vector<double> values() const {
    std::vector<double> v(data_.size() / mfrt_dtype_size(dtype_));
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = get(int64_t(i));
    return v;
  }
  const mfrt_tensor *desc() {
    return fillDesc(desc_, data_.data(), dtype_, shape_);
  }

private:
  mfrt_dtype dtype_;
  std::vector<int64_t> shape_;
  std::vector<unsigned char> data_;
  mfrt_tensor desc_ = {};
};

/// Uniform values in [lo, hi), rounded to bf16 when `bf16` (so that the CPU
/// reference sees exactly the inputs the device stores).
inline std::vector<double> randomValues(int64_t n, uint32_t seed, double lo = -1,
                                        double hi = 1, bool bf16 = false) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(static_cast<size_t>(n));
  for (double &x : v) {
    x = dist(gen);
    if (bf16)
      x = roundBf16(float(x));
  }
  return v;
}

/// Max over elements of |a - b| / max(|b|, floor): the relative error with a
/// floor for values near zero.
inline double maxRelativeError(const std::vector<double> &a,
                               const std::vector<double> &b,
                               double floor = 1e-3) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    double denom = std::fabs(b[i]) > floor ? std::fabs(b[i]) : floor;
    double e = std::fabs(a[i] - b[i]) / denom;
    if (!(e <= worst)) // NaN counts as the worst
      worst = std::isnan(e) ? INFINITY : e;
  }
  return worst;
}

/// The tolerances of the issue: fp32 1e-5 relative, bf16 2e-2.
inline double toleranceFor(mfrt_dtype dtype) {
  return dtype == MFRT_BF16 ? 2e-2 : dtype == MFRT_F64 ? 1e-12 : 1e-5;
}

} // namespace mfrt::test

#endif
