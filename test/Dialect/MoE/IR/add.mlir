// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @add_residual
// CHECK-SAME: %[[A:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[B:[^:]*]]: tensor<2x16x64xf32>
// CHECK: moe.add %[[A]], %[[B]] : tensor<2x16x64xf32>
// Residual connection.
func.func @add_residual(%a: tensor<2x16x64xf32>, %b: tensor<2x16x64xf32>) -> tensor<2x16x64xf32> {
  %0 = moe.add %a, %b : tensor<2x16x64xf32>
  return %0 : tensor<2x16x64xf32>
}

// CHECK-LABEL: func.func @add_losses
// CHECK: moe.add %{{.*}}, %{{.*}} : tensor<f32>
// Summing two 0-d losses.
func.func @add_losses(%a: tensor<f32>, %b: tensor<f32>) -> tensor<f32> {
  %0 = moe.add %a, %b : tensor<f32>
  return %0 : tensor<f32>
}
