//===- MoeTestUtil.h - inputs for the routing / expert parity tests ------===//

#ifndef MOEFOLD_UNITTESTS_RUNTIMECUDA_MOETESTUTIL_H
#define MOEFOLD_UNITTESTS_RUNTIMECUDA_MOETESTUTIL_H

#include "DeviceTensor.h"

#include <string>

namespace mfrt::test {

/// The CPU backend's dtype for a device dtype (bf16 values are compared
/// against an f32 run on the same bf16-rounded inputs).
inline mfrt_dtype refType(mfrt_dtype dtype) {
  return dtype == MFRT_F64 ? MFRT_F64 : MFRT_F32;
}

/// n expert ids in [0, e): skewed (expert 0 takes about a third), and
/// expert `empty` (if in range) never chosen.
inline std::vector<double> skewedIndices(int64_t n, int64_t e, uint32_t seed,
                                         int64_t empty = -1) {
  std::mt19937 gen(seed);
  std::vector<double> v(static_cast<size_t>(n));
  for (double &x : v) {
    int64_t id;
    do {
      id = gen() % 3 == 0 ? 0 : int64_t(gen() % uint32_t(e));
    } while (id == empty);
    x = double(id);
  }
  return v;
}

/// The error of an output that sums many products (GEMMs, dot products),
/// where single elements may cancel to near zero: element-wise relative
/// with a floor of 1e-3 of the reference's largest magnitude in f32 / f64;
/// in bf16 (inputs of the sums rounded to 8 bits) relative to that largest
/// magnitude, max |got - want| / max |want|.
inline double scaledError(const std::vector<double> &got,
                          const std::vector<double> &want,
                          mfrt_dtype dtype = MFRT_F32) {
  double mx = 0;
  for (double w : want)
    mx = std::fabs(w) > mx ? std::fabs(w) : mx;
  double floor = dtype == MFRT_BF16 ? mx : mx * 1e-3;
  return maxRelativeError(got, want, floor > 1e-3 ? floor : 1e-3);
}

/// True when the last error contains `text`.
inline bool lastErrorHas(const char *text) {
  return std::string(mfrt_last_error()).find(text) != std::string::npos;
}

} // namespace mfrt::test

#endif
