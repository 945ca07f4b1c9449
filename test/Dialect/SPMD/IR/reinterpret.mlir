// RUN: moefold-opt %s | moefold-opt | FileCheck %s

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @reinterpret_varying_as_partial
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>
// CHECK: spmd.reinterpret %[[X]] over @mesh[dense] [tp] (V -> P) : tensor<4xf32>
// Per-rank partial sums entering a reduction: data unchanged, type relabelled.
func.func @reinterpret_varying_as_partial(%x: tensor<4xf32>) -> tensor<4xf32> {
  %i = spmd.reinterpret %x over @mesh[dense] [tp] (V -> P) : tensor<4xf32>
  return %i : tensor<4xf32>
}

// CHECK-LABEL: func.func @reinterpret_any_pair
// CHECK: spmd.reinterpret %{{.*}} over @mesh[expert] [edp, ep] (R -> V) : tensor<2x3xi32>
// CHECK: spmd.reinterpret %{{.*}} over @mesh[dense] [dp] (P -> I) : tensor<2x3xi32>
// Any distinct pair is allowed, including ones convert refuses.
func.func @reinterpret_any_pair(%x: tensor<2x3xi32>) -> (tensor<2x3xi32>, tensor<2x3xi32>) {
  %a = spmd.reinterpret %x over @mesh[expert] [edp, ep] (R -> V) : tensor<2x3xi32>
  %b = spmd.reinterpret %x over @mesh[dense] [dp] (P -> I) : tensor<2x3xi32>
  return %a, %b : tensor<2x3xi32>, tensor<2x3xi32>
}
