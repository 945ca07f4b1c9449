// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @fill_zeros
// CHECK: %[[Z:.*]] = moe.fill 0.000000e+00 : tensor<2x16x64xf32>
// CHECK: return %[[Z]]
// The zero gradient moe-autodiff materialises for an absent cotangent.
func.func @fill_zeros() -> tensor<2x16x64xf32> {
  %z = moe.fill 0.0 : tensor<2x16x64xf32>
  return %z : tensor<2x16x64xf32>
}

// CHECK-LABEL: func.func @fill_scalar_seed
// CHECK: moe.fill 1.000000e+00 : tensor<f32>
// The loss seed is a 0-d tensor.
func.func @fill_scalar_seed() -> tensor<f32> {
  %one = moe.fill 1.0 : tensor<f32>
  return %one : tensor<f32>
}

// CHECK-LABEL: func.func @fill_bf16_inexact
// CHECK: moe.fill 1.000000e-01 : tensor<4xbf16>
// A value that bf16 rounds is fine; only overflow is rejected.
func.func @fill_bf16_inexact() -> tensor<4xbf16> {
  %v = moe.fill 0.1 : tensor<4xbf16>
  return %v : tensor<4xbf16>
}

// CHECK-LABEL: func.func @fill_negative
// CHECK: moe.fill -2.500000e+00 : tensor<3x3xf64>
// Any finite value, negative included.
func.func @fill_negative() -> tensor<3x3xf64> {
  %v = moe.fill -2.5 : tensor<3x3xf64>
  return %v : tensor<3x3xf64>
}
