// RUN: moefold-opt %s | moefold-opt | FileCheck %s

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @reduce_scatter_partial_to_varying
// CHECK-SAME: %[[X:.*]]: tensor<8x4xf32>
// CHECK: spmd.reduce_scatter %[[X]] over @mesh[dense] [tp] (P -> V) dim 0 : tensor<8x4xf32> -> tensor<4x4xf32>
// Sequence-parallel exit of a row-parallel linear; sum is the default.
func.func @reduce_scatter_partial_to_varying(%x: tensor<8x4xf32>) -> tensor<4x4xf32> {
  %s = spmd.reduce_scatter %x over @mesh[dense] [tp] (P -> V) dim 0 : tensor<8x4xf32> -> tensor<4x4xf32>
  return %s : tensor<4x4xf32>
}

// CHECK-LABEL: func.func @reduce_scatter_avg_two_axes
// CHECK: spmd.reduce_scatter %{{.*}} over @mesh[expert] [edp, ep] (P -> V) dim 1 reduction = avg : tensor<2x16xf32> -> tensor<2x2xf32>
// Over edp*ep = 2*4 = 8 ranks, with a non-default reduction.
func.func @reduce_scatter_avg_two_axes(%x: tensor<2x16xf32>) -> tensor<2x2xf32> {
  %s = spmd.reduce_scatter %x over @mesh[expert] [edp, ep] (P -> V) dim 1 reduction = avg : tensor<2x16xf32> -> tensor<2x2xf32>
  return %s : tensor<2x2xf32>
}
