// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @adamw_step_basic
// CHECK-SAME: %[[P:[^:]*]]: tensor<64x64xf32>
// CHECK-SAME: %[[G:[^:]*]]: tensor<64x64xf32>
// CHECK-SAME: %[[M:[^:]*]]: tensor<64x64xf32>
// CHECK-SAME: %[[V:[^:]*]]: tensor<64x64xf32>
// CHECK-SAME: %[[S:[^:]*]]: tensor<f32>
// CHECK-SAME: %[[LR:[^:]*]]: tensor<f32>
// CHECK-SAME: %[[T:[^:]*]]: tensor<f32>
// CHECK-SAME: %[[A:[^:]*]]: tensor<i1>
// CHECK: %[[NP:.*]], %[[NM:.*]], %[[NV:.*]] = moe.adamw_step %[[P]], %[[G]], %[[M]], %[[V]], %[[S]], %[[LR]], %[[T]], %[[A]] beta1 = 9.000000e-01 beta2 = 0.94999999999999996 epsilon = 1.000000e-08 weight_decay = 1.000000e-01 : tensor<64x64xf32>
// CHECK: return %[[NP]], %[[NM]], %[[NV]]
// Parameter, gradient, both moments and all three results share one type.
func.func @adamw_step_basic(%p: tensor<64x64xf32>, %g: tensor<64x64xf32>, %m: tensor<64x64xf32>, %v: tensor<64x64xf32>, %scale: tensor<f32>, %lr: tensor<f32>, %step: tensor<f32>, %apply: tensor<i1>) -> (tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>) {
  %p2, %m2, %v2 = moe.adamw_step %p, %g, %m, %v, %scale, %lr, %step, %apply beta1 = 0.9 beta2 = 0.95 epsilon = 1.0e-08 weight_decay = 0.1 : tensor<64x64xf32>
  return %p2, %m2, %v2 : tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>
}

// CHECK-LABEL: func.func @adamw_step_edges
// CHECK: beta1 = 0.000000e+00 beta2 = 0.000000e+00
// beta = 0 (no momentum) is the closed end of [0, 1).
func.func @adamw_step_edges(%p: tensor<4xf32>, %s: tensor<f32>, %a: tensor<i1>) -> tensor<4xf32> {
  %p2, %m2, %v2 = moe.adamw_step %p, %p, %p, %p, %s, %s, %s, %a beta1 = 0.0 beta2 = 0.0 epsilon = 1.0e-08 weight_decay = 0.0 : tensor<4xf32>
  return %p2 : tensor<4xf32>
}
