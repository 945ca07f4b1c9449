// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @cross_entropy_f32
// CHECK-SAME: %[[L:[^:]*]]: tensor<2x16x256xf32>
// CHECK-SAME: %[[T:[^:]*]]: tensor<2x16xi32>
// CHECK: %[[R:.*]] = moe.cross_entropy %[[L]], %[[T]] : tensor<2x16x256xf32>, tensor<2x16xi32>
// CHECK: return %[[R]] : tensor<f32>
// Mean over all B*S tokens, as a 0-d tensor.
func.func @cross_entropy_f32(%logits: tensor<2x16x256xf32>, %targets: tensor<2x16xi32>) -> tensor<f32> {
  %0 = moe.cross_entropy %logits, %targets : tensor<2x16x256xf32>, tensor<2x16xi32>
  return %0 : tensor<f32>
}

// CHECK-LABEL: func.func @cross_entropy_f64
// CHECK: return %{{.*}} : tensor<f64>
// f64 logits give an f64 loss; i64 targets.
func.func @cross_entropy_f64(%logits: tensor<1x4x10xf64>, %targets: tensor<1x4xi64>) -> tensor<f64> {
  %0 = moe.cross_entropy %logits, %targets : tensor<1x4x10xf64>, tensor<1x4xi64>
  return %0 : tensor<f64>
}

// CHECK-LABEL: func.func @cross_entropy_f16
// CHECK: return %{{.*}} : tensor<f32>
// f16 logits accumulate the loss in f32.
func.func @cross_entropy_f16(%logits: tensor<1x4x10xf16>, %targets: tensor<1x4xi32>) -> tensor<f32> {
  %0 = moe.cross_entropy %logits, %targets : tensor<1x4x10xf16>, tensor<1x4xi32>
  return %0 : tensor<f32>
}

// A per-rank program's share of the mean: divided by the global count.
// CHECK-LABEL: func.func @cross_entropy_num_tokens
// CHECK: moe.cross_entropy %{{.*}}, %{{.*}} num_tokens = 64 : tensor<2x16x256xf32>, tensor<2x16xi32>
func.func @cross_entropy_num_tokens(%logits: tensor<2x16x256xf32>, %targets: tensor<2x16xi32>) -> tensor<f32> {
  %0 = moe.cross_entropy %logits, %targets num_tokens = 64 : tensor<2x16x256xf32>, tensor<2x16xi32>
  return %0 : tensor<f32>
}
