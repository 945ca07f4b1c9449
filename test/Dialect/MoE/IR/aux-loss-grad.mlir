// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @aux_loss_grad_basic
// CHECK-SAME: %[[P:[^:]*]]: tensor<2x16x8xf32>
// CHECK-SAME: %[[I:[^:]*]]: tensor<2x16x2xi32>
// CHECK-SAME: %[[D:[^:]*]]: tensor<f32>
// CHECK: %[[DP:.*]] = moe.aux_loss_grad %[[P]], %[[I]], %[[D]] num_experts = 8 coefficient = 1.000000e-02 : tensor<2x16x8xf32>, tensor<2x16x2xi32>, tensor<f32>
// CHECK: return %[[DP]] : tensor<2x16x8xf32>
// Only the probabilities get a gradient.
func.func @aux_loss_grad_basic(%probs: tensor<2x16x8xf32>, %indices: tensor<2x16x2xi32>, %dloss: tensor<f32>) -> tensor<2x16x8xf32> {
  %dp = moe.aux_loss_grad %probs, %indices, %dloss num_experts = 8 coefficient = 1.0e-02 : tensor<2x16x8xf32>, tensor<2x16x2xi32>, tensor<f32>
  return %dp : tensor<2x16x8xf32>
}

// CHECK-LABEL: func.func @aux_loss_grad_bf16
// CHECK: moe.aux_loss_grad {{.*}} : tensor<1x4x4xbf16>, tensor<1x4x1xi32>, tensor<f32>
// bf16 probabilities have an f32 loss, so dloss is f32.
func.func @aux_loss_grad_bf16(%probs: tensor<1x4x4xbf16>, %indices: tensor<1x4x1xi32>, %dloss: tensor<f32>) -> tensor<1x4x4xbf16> {
  %dp = moe.aux_loss_grad %probs, %indices, %dloss num_experts = 4 coefficient = 1.0 : tensor<1x4x4xbf16>, tensor<1x4x1xi32>, tensor<f32>
  return %dp : tensor<1x4x4xbf16>
}
