// RUN: moefold-opt %s --spmd-verify-types=print-types | FileCheck %s

// Ops without a typing rule get the conservative one: all operands of one
// type (constants aside), which the result takes; never P.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @unknown_op_same_types
// CHECK: tensor.concat {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// CHECK: linalg.matmul {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// A concat of two shards and a matmul into a constant init.
func.func @unknown_op_same_types(%a: tensor<4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = V}>},
                                 %b: tensor<4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = V}>}) -> tensor<4x4xf32> {
  %c = tensor.concat dim(0) %a, %b : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
  %e = tensor.empty() : tensor<4x4xf32>
  %m = linalg.matmul ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %m : tensor<4x4xf32>
}
