// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @dispatch_grad_basic
// CHECK-SAME: %[[I:[^:]*]]: tensor<2x16x2xi32>
// CHECK-SAME: %[[D:[^:]*]]: tensor<64x64xf32>
// CHECK: %[[DX:.*]] = moe.dispatch_grad %[[I]], %[[D]] num_experts = 8 : tensor<2x16x2xi32>, tensor<64x64xf32> -> tensor<2x16x64xf32>
// CHECK: return %[[DX]]
// Each token sums the gradients of its K copies; dx's type is explicit.
func.func @dispatch_grad_basic(%indices: tensor<2x16x2xi32>, %dsorted: tensor<64x64xf32>) -> tensor<2x16x64xf32> {
  %dx = moe.dispatch_grad %indices, %dsorted num_experts = 8 : tensor<2x16x2xi32>, tensor<64x64xf32> -> tensor<2x16x64xf32>
  return %dx : tensor<2x16x64xf32>
}
