// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @swiglu_basic
// CHECK-SAME: %[[G:[^:]*]]: tensor<2x16x128xf32>
// CHECK-SAME: %[[U:[^:]*]]: tensor<2x16x128xf32>
// CHECK: moe.swiglu %[[G]], %[[U]] : tensor<2x16x128xf32>
// One type covers both operands and the result.
func.func @swiglu_basic(%g: tensor<2x16x128xf32>, %u: tensor<2x16x128xf32>) -> tensor<2x16x128xf32> {
  %0 = moe.swiglu %g, %u : tensor<2x16x128xf32>
  return %0 : tensor<2x16x128xf32>
}

// CHECK-LABEL: func.func @swiglu_f64
// CHECK: moe.swiglu {{.*}} : tensor<4xf64>
// Any rank and float type (f64 for gradient checks).
func.func @swiglu_f64(%g: tensor<4xf64>) -> tensor<4xf64> {
  %0 = moe.swiglu %g, %g : tensor<4xf64>
  return %0 : tensor<4xf64>
}
