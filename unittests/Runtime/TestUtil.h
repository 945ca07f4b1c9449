//===- TestUtil.h - helpers for the runtime C ABI tests ---------*- C++ -*-===//

#ifndef MOEFOLD_UNITTESTS_RUNTIME_TESTUTIL_H
#define MOEFOLD_UNITTESTS_RUNTIME_TESTUTIL_H

#include "moefold_runtime/mfrt.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

namespace mfrt_test {

template <typename T> constexpr mfrt_dtype dtypeOf();
template <> constexpr mfrt_dtype dtypeOf<float>() { return MFRT_F32; }
template <> constexpr mfrt_dtype dtypeOf<double>() { return MFRT_F64; }
template <> constexpr mfrt_dtype dtypeOf<int32_t>() { return MFRT_I32; }

/// Owns the data of a dense tensor and a descriptor pointing at it.
template <typename T> struct Tensor {
  std::vector<T> v;
  std::vector<int64_t> shape;
  mfrt_tensor d{};

  Tensor() : Tensor(std::vector<int64_t>{}) {}
  explicit Tensor(std::vector<int64_t> s, std::vector<T> values = {})
      : shape(std::move(s)) {
    int64_t n = 1;
    for (int64_t e : shape)
      n *= e;
    v = values.empty() ? std::vector<T>(n, T(0)) : std::move(values);
    EXPECT_EQ(static_cast<int64_t>(v.size()), n);
    sync();
  }
  Tensor(const Tensor &o) : v(o.v), shape(o.shape) { sync(); }
  Tensor &operator=(const Tensor &o) {
    v = o.v;
    shape = o.shape;
    sync();
    return *this;
  }
  void sync() {
    d.data = v.empty() ? nullptr : v.data();
    d.dtype = dtypeOf<T>();
    d.rank = static_cast<int32_t>(shape.size());
    for (size_t i = 0; i < shape.size(); ++i)
      d.shape[i] = shape[i];
  }
  mfrt_tensor *desc() { return &d; }
  size_t size() const { return v.size(); }
  T &operator[](size_t i) { return v[i]; }
  const T &operator[](size_t i) const { return v[i]; }
};

/// Deterministic normal fill.
template <typename T>
void fillNormal(Tensor<T> &t, uint32_t seed, double stddev = 1.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> dist(0.0, stddev);
  for (auto &x : t.v)
    x = T(dist(rng));
}
template <typename T>
Tensor<T> randn(std::vector<int64_t> shape, uint32_t seed,
                double stddev = 1.0) {
  Tensor<T> t(std::move(shape));
  fillNormal(t, seed, stddev);
  return t;
}

/// Converts a tensor's values to another element type.
template <typename To, typename From> Tensor<To> cast(const Tensor<From> &t) {
  std::vector<To> v(t.v.begin(), t.v.end());
  return Tensor<To>(t.shape, v);
}

template <typename T> double dot(const Tensor<T> &a, const Tensor<T> &b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += double(a[i]) * double(b[i]);
  return s;
}

/// A parameter of a gradient check: its value (perturbed in place) and the
/// analytic gradient computed by the backward under test.
struct GradParam {
  const char *name;
  Tensor<double> *value;
  Tensor<double> *grad;
};

/// Checks analytic gradients against central finite differences of `loss`.
/// Returns the largest normwise relative error max|a - n| / max|n| over all
/// parameters and prints one line per parameter (the figures of the report).
inline double gradCheck(const std::string &caseName,
                        const std::vector<GradParam> &params,
                        const std::function<double()> &loss,
                        double h = 1e-5) {
  double worst = 0;
  for (const GradParam &p : params) {
    double maxDiff = 0, maxNum = 0;
    for (size_t i = 0; i < p.value->size(); ++i) {
      double saved = (*p.value)[i];
      (*p.value)[i] = saved + h;
      double lp = loss();
      (*p.value)[i] = saved - h;
      double lm = loss();
      (*p.value)[i] = saved;
      double num = (lp - lm) / (2 * h);
      maxDiff = std::max(maxDiff, std::fabs(num - (*p.grad)[i]));
      maxNum = std::max(maxNum, std::fabs(num));
    }
    double rel = maxDiff / std::max(maxNum, 1e-300);
    std::printf("[gradcheck] %-36s %-10s max|grad|=%-10.3g rel.err=%.3g\n",
                caseName.c_str(), p.name, maxNum, rel);
    EXPECT_GT(maxNum, 1e-6) << caseName << " " << p.name
                            << ": gradient is zero, the check is vacuous";
    worst = std::max(worst, rel);
  }
  return worst;
}

#define EXPECT_OK(expr)                                                        \
  do {                                                                         \
    mfrt_status s_ = (expr);                                                   \
    EXPECT_EQ(s_, MFRT_OK) << #expr << ": " << mfrt_last_error();              \
  } while (0)
#define ASSERT_OK(expr)                                                        \
  do {                                                                         \
    mfrt_status s_ = (expr);                                                   \
    ASSERT_EQ(s_, MFRT_OK) << #expr << ": " << mfrt_last_error();              \
  } while (0)

} // namespace mfrt_test

#endif // MOEFOLD_UNITTESTS_RUNTIME_TESTUTIL_H
