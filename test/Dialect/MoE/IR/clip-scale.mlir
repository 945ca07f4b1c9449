// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @clip_scale_basic
// CHECK-SAME: %[[N:[^:]*]]: tensor<f32>
// CHECK: %[[S:.*]], %[[A:.*]] = moe.clip_scale %[[N]] max_norm = 1.000000e+00
// CHECK: return %[[S]], %[[A]] : tensor<f32>, tensor<i1>
// The scale and the skip flag; both types are fixed, so none is written.
func.func @clip_scale_basic(%norm: tensor<f32>) -> (tensor<f32>, tensor<i1>) {
  %scale, %apply = moe.clip_scale %norm max_norm = 1.0
  return %scale, %apply : tensor<f32>, tensor<i1>
}

// CHECK-LABEL: func.func @clip_scale_disabled
// CHECK: moe.clip_scale %{{.*}} max_norm = 0.000000e+00
// max_norm <= 0 disables clipping but still reports a non-finite norm.
func.func @clip_scale_disabled(%norm: tensor<f32>) -> tensor<i1> {
  %scale, %apply = moe.clip_scale %norm max_norm = 0.0
  return %apply : tensor<i1>
}
