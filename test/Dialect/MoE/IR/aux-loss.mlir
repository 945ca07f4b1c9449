// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @aux_loss_f32
// CHECK-SAME: %[[P:[^:]*]]: tensor<2x16x8xf32>
// CHECK-SAME: %[[I:[^:]*]]: tensor<2x16x2xi32>
// CHECK: %[[L:.*]] = moe.aux_loss %[[P]], %[[I]] num_experts = 8 coefficient = 1.000000e-02 : tensor<2x16x8xf32>, tensor<2x16x2xi32>
// CHECK: return %[[L]] : tensor<f32>
// The loss is a 0-d f32 tensor.
func.func @aux_loss_f32(%p: tensor<2x16x8xf32>, %i: tensor<2x16x2xi32>) -> tensor<f32> {
  %0 = moe.aux_loss %p, %i num_experts = 8 coefficient = 1.0e-02 : tensor<2x16x8xf32>, tensor<2x16x2xi32>
  return %0 : tensor<f32>
}

// CHECK-LABEL: func.func @aux_loss_bf16
// CHECK: moe.aux_loss {{.*}} coefficient = 0.000000e+00 : tensor<1x4x4xbf16>, tensor<1x4x1xi64>
// bf16 probabilities still give an f32 loss; a zero coefficient is allowed.
func.func @aux_loss_bf16(%p: tensor<1x4x4xbf16>, %i: tensor<1x4x1xi64>) -> tensor<f32> {
  %0 = moe.aux_loss %p, %i num_experts = 4 coefficient = 0.0 : tensor<1x4x4xbf16>, tensor<1x4x1xi64>
  return %0 : tensor<f32>
}

// CHECK-LABEL: func.func @aux_loss_f64
// CHECK: moe.aux_loss
// CHECK: return %{{.*}} : tensor<f64>
// f64 probabilities (gradient checks) give an f64 loss.
func.func @aux_loss_f64(%p: tensor<1x4x4xf64>, %i: tensor<1x4x2xi32>) -> tensor<f64> {
  %0 = moe.aux_loss %p, %i num_experts = 4 coefficient = 1.0 : tensor<1x4x4xf64>, tensor<1x4x2xi32>
  return %0 : tensor<f64>
}
