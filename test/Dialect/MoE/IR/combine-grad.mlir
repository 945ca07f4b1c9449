// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @combine_grad_basic
// CHECK-SAME: %[[EO:[^:]*]]: tensor<64x64xf32>
// CHECK-SAME: %[[I:[^:]*]]: tensor<2x16x2xi32>
// CHECK-SAME: %[[S:[^:]*]]: tensor<2x16x2xf32>
// CHECK-SAME: %[[D:[^:]*]]: tensor<2x16x64xf32>
// CHECK: %[[DEO:.*]], %[[DS:.*]] = moe.combine_grad %[[EO]], %[[I]], %[[S]], %[[D]] num_experts = 8 : tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>, tensor<2x16x64xf32>
// CHECK: return %[[DEO]], %[[DS]] : tensor<64x64xf32>, tensor<2x16x2xf32>
// Gradients for the expert rows and for the router scores.
func.func @combine_grad_basic(%out: tensor<64x64xf32>, %indices: tensor<2x16x2xi32>, %scores: tensor<2x16x2xf32>, %dout: tensor<2x16x64xf32>) -> (tensor<64x64xf32>, tensor<2x16x2xf32>) {
  %deo, %ds = moe.combine_grad %out, %indices, %scores, %dout num_experts = 8 : tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>, tensor<2x16x64xf32>
  return %deo, %ds : tensor<64x64xf32>, tensor<2x16x2xf32>
}
