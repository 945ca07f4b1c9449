// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @router_grad_softmax
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[W:[^:]*]]: tensor<64x8xf32>
// CHECK-SAME: %[[P:[^:]*]]: tensor<2x16x8xf32>
// CHECK-SAME: %[[I:[^:]*]]: tensor<2x16x2xi32>
// CHECK-SAME: %[[DS:[^:]*]]: tensor<2x16x2xf32>
// CHECK-SAME: %[[DP:[^:]*]]: tensor<2x16x8xf32>
// CHECK: %[[DX:.*]], %[[DW:.*]] = moe.router_grad %[[X]], %[[W]], %[[P]], %[[I]], %[[DS]], %[[DP]] scoring = softmax top_k = 2 renormalize : tensor<2x16x64xf32>, tensor<64x8xf32>, tensor<2x16x8xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>
// CHECK: return %[[DX]], %[[DW]] : tensor<2x16x64xf32>, tensor<64x8xf32>
// Gradient through the selected scores and the full probabilities.
func.func @router_grad_softmax(%x: tensor<2x16x64xf32>, %w: tensor<64x8xf32>, %probs: tensor<2x16x8xf32>, %indices: tensor<2x16x2xi32>, %dscores: tensor<2x16x2xf32>, %dprobs: tensor<2x16x8xf32>) -> (tensor<2x16x64xf32>, tensor<64x8xf32>) {
  %dx, %dw = moe.router_grad %x, %w, %probs, %indices, %dscores, %dprobs scoring = softmax top_k = 2 renormalize : tensor<2x16x64xf32>, tensor<64x8xf32>, tensor<2x16x8xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>
  return %dx, %dw : tensor<2x16x64xf32>, tensor<64x8xf32>
}

// CHECK-LABEL: func.func @router_grad_sigmoid
// CHECK: moe.router_grad {{.*}} scoring = sigmoid top_k = 1 :
// Sigmoid scoring without renormalisation prints neither keyword.
func.func @router_grad_sigmoid(%x: tensor<1x4x16xf64>, %w: tensor<16x4xf64>, %probs: tensor<1x4x4xf64>, %indices: tensor<1x4x1xi32>, %dscores: tensor<1x4x1xf64>) -> tensor<16x4xf64> {
  %dx, %dw = moe.router_grad %x, %w, %probs, %indices, %dscores, %probs scoring = sigmoid top_k = 1 : tensor<1x4x16xf64>, tensor<16x4xf64>, tensor<1x4x4xf64>, tensor<1x4x1xi32>, tensor<1x4x1xf64>
  return %dw : tensor<16x4xf64>
}
