// RUN: moefold-opt %s | moefold-opt | FileCheck %s

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @all_gather_to_replicate
// CHECK-SAME: %[[X:.*]]: tensor<4x4xf32>
// CHECK: spmd.all_gather %[[X]] over @mesh[dense] [tp] (V -> R) dim 1 : tensor<4x4xf32> -> tensor<4x8xf32>
// Gathering the column-parallel output back on its sharded dim.
func.func @all_gather_to_replicate(%x: tensor<4x4xf32>) -> tensor<4x8xf32> {
  %g = spmd.all_gather %x over @mesh[dense] [tp] (V -> R) dim 1 : tensor<4x4xf32> -> tensor<4x8xf32>
  return %g : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @all_gather_to_invariant
// CHECK: spmd.all_gather %{{.*}} over @mesh[dense] [dp, tp] (V -> I) dim 0 : tensor<2x3xf32> -> tensor<16x3xf32>
// Over two axes the group is dp*tp = 4*2 = 8 ranks (dp derived from world/tp).
func.func @all_gather_to_invariant(%x: tensor<2x3xf32>) -> tensor<16x3xf32> {
  %g = spmd.all_gather %x over @mesh[dense] [dp, tp] (V -> I) dim 0 : tensor<2x3xf32> -> tensor<16x3xf32>
  return %g : tensor<16x3xf32>
}

// CHECK-LABEL: func.func @all_gather_dynamic
// CHECK: spmd.all_gather %{{.*}} over @mesh[expert] [ep] (V -> R) dim 0 : tensor<?x8xf32> -> tensor<?x8xf32>
// A dynamic gathered dim is not checked against the group size.
func.func @all_gather_dynamic(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %g = spmd.all_gather %x over @mesh[expert] [ep] (V -> R) dim 0 : tensor<?x8xf32> -> tensor<?x8xf32>
  return %g : tensor<?x8xf32>
}
