// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @sgd_step_basic
// CHECK-SAME: %[[P:[^:]*]]: tensor<64x64xf32>
// CHECK-SAME: %[[G:[^:]*]]: tensor<64x64xf32>
// CHECK-SAME: %[[S:[^:]*]]: tensor<f32>
// CHECK-SAME: %[[LR:[^:]*]]: tensor<f32>
// CHECK-SAME: %[[A:[^:]*]]: tensor<i1>
// CHECK: %[[NP:.*]] = moe.sgd_step %[[P]], %[[G]], %[[S]], %[[LR]], %[[A]] weight_decay = 0.000000e+00 : tensor<64x64xf32>
// CHECK: return %[[NP]] : tensor<64x64xf32>
// Parameter, gradient and result share one type.
func.func @sgd_step_basic(%p: tensor<64x64xf32>, %g: tensor<64x64xf32>, %scale: tensor<f32>, %lr: tensor<f32>, %apply: tensor<i1>) -> tensor<64x64xf32> {
  %p2 = moe.sgd_step %p, %g, %scale, %lr, %apply weight_decay = 0.0 : tensor<64x64xf32>
  return %p2 : tensor<64x64xf32>
}
