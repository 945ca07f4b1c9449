//===- DenseTestSupport.h - device/CPU tensor pairs for the dense op tests ===//
//
// A Pair holds the same values on the device (in the storage dtype under
// test) and on the host for the CPU reference (f32 for bf16 storage, fed the
// bf16-rounded values, so both backends see identical inputs).
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_UNITTESTS_RUNTIMECUDA_DENSETESTSUPPORT_H
#define MOEFOLD_UNITTESTS_RUNTIMECUDA_DENSETESTSUPPORT_H

#include "DeviceTensor.h"

#include <string>

namespace mfrt::test {

/// The CPU backend's dtype for a storage dtype.
inline mfrt_dtype referenceDtype(mfrt_dtype d) {
  return d == MFRT_BF16 ? MFRT_F32 : d;
}

/// A value the kernels never produce: outputs start filled with it, so an
/// element a kernel fails to write shows up as a large error.
constexpr double kPoison = 12345.0;

/// max_i |a_i - b_i| / max_j |b_j| (1e-3 when b is all near zero): the
/// error relative to the tensor's scale. An element-by-element relative
/// error is not a fair measure for outputs that are differences of larger
/// terms (attention and norm gradients, summed weight gradients): there the
/// float rounding of the terms dominates, on the CPU reference as on the
/// device (the f64 runs match element by element to ~1e-12).
inline double normwiseError(const std::vector<double> &a,
                            const std::vector<double> &b) {
  double scale = 1e-3;
  for (double x : b)
    scale = std::fabs(x) > scale ? std::fabs(x) : scale;
  return maxRelativeError(a, b, scale);
}

struct Pair {
  mfrt_dtype dtype;
  DeviceTensor dev;
  HostTensor host;
  /// An input with `values` (already rounded to bf16 where needed).
  Pair(mfrt_dtype dt, std::vector<int64_t> shape,
       const std::vector<double> &values)
      : dtype(dt), dev(dt, shape), host(referenceDtype(dt), shape, values) {
    dev.upload(values);
  }
  /// An output: the device copy is poisoned.
  Pair(mfrt_dtype dt, std::vector<int64_t> shape)
      : dtype(dt), dev(dt, shape), host(referenceDtype(dt), shape) {
    dev.upload(std::vector<double>(size_t(dev.numel()), kPoison));
  }
  const mfrt_tensor *d() { return dev.desc(); }
  const mfrt_tensor *h() { return host.desc(); }
  /// Max relative error of the device result against the CPU one.
  double error() { return normwiseError(dev.download(), host.values()); }
};

/// Random floats in [lo, hi), bf16-rounded when the storage is bf16.
inline std::vector<double> floats(mfrt_dtype dt, int64_t n, uint32_t seed,
                                  double lo = -1, double hi = 1) {
  return randomValues(n, seed, lo, hi, dt == MFRT_BF16);
}

/// Random integers in [0, bound).
inline std::vector<double> ints(int64_t n, uint32_t seed, int64_t bound) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int64_t> dist(0, bound - 1);
  std::vector<double> v(static_cast<size_t>(n));
  for (double &x : v)
    x = double(dist(gen));
  return v;
}

inline int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// The last error contains `text`.
inline ::testing::AssertionResult errorMentions(const std::string &text) {
  std::string err = mfrt_last_error();
  if (err.find(text) != std::string::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "last error \"" << err << "\" lacks \"" << text << "\"";
}


} // namespace mfrt::test

#define EXPECT_MATCHES_CPU(pair)                                               \
  EXPECT_LE((pair).error(), toleranceFor((pair).dtype)) << #pair

#endif // MOEFOLD_UNITTESTS_RUNTIMECUDA_DENSETESTSUPPORT_H
