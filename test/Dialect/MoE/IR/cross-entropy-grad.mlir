// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @cross_entropy_grad_basic
// CHECK-SAME: %[[L:[^:]*]]: tensor<2x16x256xf32>
// CHECK-SAME: %[[T:[^:]*]]: tensor<2x16xi32>
// CHECK-SAME: %[[D:[^:]*]]: tensor<f32>
// CHECK: %[[DL:.*]] = moe.cross_entropy_grad %[[L]], %[[T]], %[[D]] : tensor<2x16x256xf32>, tensor<2x16xi32>, tensor<f32>
// CHECK: return %[[DL]] : tensor<2x16x256xf32>
// Targets are not differentiable; dlogits has the logits' type.
func.func @cross_entropy_grad_basic(%logits: tensor<2x16x256xf32>, %targets: tensor<2x16xi32>, %dloss: tensor<f32>) -> tensor<2x16x256xf32> {
  %dl = moe.cross_entropy_grad %logits, %targets, %dloss : tensor<2x16x256xf32>, tensor<2x16xi32>, tensor<f32>
  return %dl : tensor<2x16x256xf32>
}

// CHECK-LABEL: func.func @cross_entropy_grad_f64
// CHECK: moe.cross_entropy_grad {{.*}} : tensor<1x4x10xf64>, tensor<1x4xi64>, tensor<f64>
// f64 logits (gradient checks) have an f64 loss.
func.func @cross_entropy_grad_f64(%logits: tensor<1x4x10xf64>, %targets: tensor<1x4xi64>, %dloss: tensor<f64>) -> tensor<1x4x10xf64> {
  %dl = moe.cross_entropy_grad %logits, %targets, %dloss : tensor<1x4x10xf64>, tensor<1x4xi64>, tensor<f64>
  return %dl : tensor<1x4x10xf64>
}

// CHECK-LABEL: func.func @cross_entropy_grad_num_tokens
// CHECK: moe.cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} num_tokens = 64 : tensor<2x16x256xf32>, tensor<2x16xi32>, tensor<f32>
func.func @cross_entropy_grad_num_tokens(%logits: tensor<2x16x256xf32>, %targets: tensor<2x16xi32>, %dloss: tensor<f32>) -> tensor<2x16x256xf32> {
  %0 = moe.cross_entropy_grad %logits, %targets, %dloss num_tokens = 64 : tensor<2x16x256xf32>, tensor<2x16xi32>, tensor<f32>
  return %0 : tensor<2x16x256xf32>
}
