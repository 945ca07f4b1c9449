// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @swiglu_grad_basic
// CHECK-SAME: %[[G:[^:]*]]: tensor<2x16x128xf32>
// CHECK-SAME: %[[U:[^:]*]]: tensor<2x16x128xf32>
// CHECK-SAME: %[[D:[^:]*]]: tensor<2x16x128xf32>
// CHECK: %[[DG:.*]], %[[DU:.*]] = moe.swiglu_grad %[[G]], %[[U]], %[[D]] : tensor<2x16x128xf32>
// CHECK: return %[[DG]], %[[DU]]
// One type for every operand and result.
func.func @swiglu_grad_basic(%g: tensor<2x16x128xf32>, %u: tensor<2x16x128xf32>, %dout: tensor<2x16x128xf32>) -> (tensor<2x16x128xf32>, tensor<2x16x128xf32>) {
  %dg, %du = moe.swiglu_grad %g, %u, %dout : tensor<2x16x128xf32>
  return %dg, %du : tensor<2x16x128xf32>, tensor<2x16x128xf32>
}
