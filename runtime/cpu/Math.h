//===- Math.h - scalar activation helpers -----------------------*- C++ -*-===//

#ifndef MOEFOLD_RUNTIME_CPU_MATH_H
#define MOEFOLD_RUNTIME_CPU_MATH_H

#include <cmath>

namespace mfrt::cpu {

/// Numerically stable logistic function.
template <typename T> T sigmoid(T x) {
  if (x >= T(0))
    return T(1) / (T(1) + std::exp(-x));
  T e = std::exp(x);
  return e / (T(1) + e);
}

template <typename T> T silu(T x) { return x * sigmoid(x); }

/// d silu / dx = s (1 + x (1 - s)), s = sigmoid(x).
template <typename T> T siluGrad(T x) {
  T s = sigmoid(x);
  return s * (T(1) + x * (T(1) - s));
}

} // namespace mfrt::cpu

#endif // MOEFOLD_RUNTIME_CPU_MATH_H
