// RUN: moefold-opt %s | moefold-opt | FileCheck %s
// Scores before the experts (Llama-4): the dispatch scales each copy by its
// score, the combine sums unweighted; their gradient ops in the same form.

// CHECK-LABEL: func.func @forward
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[I:[^:]*]]: tensor<2x16x2xi32>
// CHECK-SAME: %[[S:[^:]*]]: tensor<2x16x2xf32>
// CHECK: %[[R:.*]], %{{.*}} = moe.dispatch %[[X]], %[[I]] scores %[[S]] num_experts = 8 : tensor<2x16x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>
// CHECK: %[[Y:.*]] = moe.combine %[[R]], %[[I]] : tensor<64x64xf32>, tensor<2x16x2xi32>
// CHECK: return %[[Y]] : tensor<2x16x64xf32>
func.func @forward(%x: tensor<2x16x64xf32>, %i: tensor<2x16x2xi32>, %s: tensor<2x16x2xf32>) -> tensor<2x16x64xf32> {
  %rows, %g = moe.dispatch %x, %i scores %s num_experts = 8 : tensor<2x16x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>
  %y = moe.combine %rows, %i : tensor<64x64xf32>, tensor<2x16x2xi32>
  return %y : tensor<2x16x64xf32>
}

// CHECK-LABEL: func.func @backward
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[I:[^:]*]]: tensor<2x16x2xi32>
// CHECK-SAME: %[[S:[^:]*]]: tensor<2x16x2xf32>
// CHECK-SAME: %[[EO:[^:]*]]: tensor<64x64xf32>
// CHECK-SAME: %[[D:[^:]*]]: tensor<2x16x64xf32>
// CHECK: %[[DEO:.*]] = moe.combine_grad %[[EO]], %[[I]], %[[D]] num_experts = 8 : tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x64xf32>
// CHECK: %[[DX:.*]], %[[DS:.*]] = moe.dispatch_grad %[[I]], %[[DEO]] scores %[[S]], %[[X]] num_experts = 8 : tensor<2x16x2xi32>, tensor<64x64xf32>, tensor<2x16x2xf32>, tensor<2x16x64xf32> -> tensor<2x16x64xf32>, tensor<2x16x2xf32>
// CHECK: return %[[DX]], %[[DS]]
func.func @backward(%x: tensor<2x16x64xf32>, %i: tensor<2x16x2xi32>, %s: tensor<2x16x2xf32>, %eo: tensor<64x64xf32>, %d: tensor<2x16x64xf32>) -> (tensor<2x16x64xf32>, tensor<2x16x2xf32>) {
  %deo = moe.combine_grad %eo, %i, %d num_experts = 8 : tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x64xf32>
  %dx, %ds = moe.dispatch_grad %i, %deo scores %s, %x num_experts = 8 : tensor<2x16x2xi32>, tensor<64x64xf32>, tensor<2x16x2xf32>, tensor<2x16x64xf32> -> tensor<2x16x64xf32>, tensor<2x16x2xf32>
  return %dx, %ds : tensor<2x16x64xf32>, tensor<2x16x2xf32>
}
