// RUN: moefold-opt %s | moefold-opt | FileCheck %s

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @convert_replicate_to_varying
// CHECK-SAME: %[[X:.*]]: tensor<8x4xf32>
// CHECK: spmd.convert %[[X]] over @mesh[dense] [tp] (R -> V) dim 0 : tensor<8x4xf32> -> tensor<4x4xf32>
// Route-full / partition-dispatch: each TP lane keeps 1/tp of the tokens.
func.func @convert_replicate_to_varying(%x: tensor<8x4xf32>) -> tensor<4x4xf32> {
  %c = spmd.convert %x over @mesh[dense] [tp] (R -> V) dim 0 : tensor<8x4xf32> -> tensor<4x4xf32>
  return %c : tensor<4x4xf32>
}

// CHECK-LABEL: func.func @convert_invariant_to_varying
// CHECK: spmd.convert %{{.*}} over @mesh[dense] [dp, tp] (I -> V) dim 1 : tensor<2x16xf32> -> tensor<2x2xf32>
// FSDP-style parameter slice over dp*tp = 8 ranks.
func.func @convert_invariant_to_varying(%x: tensor<2x16xf32>) -> tensor<2x2xf32> {
  %c = spmd.convert %x over @mesh[dense] [dp, tp] (I -> V) dim 1 : tensor<2x16xf32> -> tensor<2x2xf32>
  return %c : tensor<2x2xf32>
}

// CHECK-LABEL: func.func @convert_varying_to_partial
// CHECK: spmd.convert %{{.*}} over @mesh[dense] [tp] (V -> P) dim 0 : tensor<4x4xf32> -> tensor<8x4xf32>
// The transpose of the R -> V slice: zero-pad back to the full size.
func.func @convert_varying_to_partial(%x: tensor<4x4xf32>) -> tensor<8x4xf32> {
  %c = spmd.convert %x over @mesh[dense] [tp] (V -> P) dim 0 : tensor<4x4xf32> -> tensor<8x4xf32>
  return %c : tensor<8x4xf32>
}

// CHECK-LABEL: func.func @convert_no_data_movement
// CHECK: spmd.convert %{{.*}} over @mesh[dense] [tp] (I -> R) : tensor<8xf32> -> tensor<8xf32>
// CHECK: spmd.convert %{{.*}} over @mesh[dense] [tp] (R -> I) : tensor<8xf32> -> tensor<8xf32>
// CHECK: spmd.convert %{{.*}} over @mesh[dense] [tp] (R -> P) : tensor<8xf32> -> tensor<8xf32>
// CHECK: spmd.convert %{{.*}} over @mesh[dense] [tp] (I -> P) : tensor<8xf32> -> tensor<8xf32>
// The shape-preserving conversions take no dim.
func.func @convert_no_data_movement(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %a = spmd.convert %x over @mesh[dense] [tp] (I -> R) : tensor<8xf32> -> tensor<8xf32>
  %b = spmd.convert %x over @mesh[dense] [tp] (R -> I) : tensor<8xf32> -> tensor<8xf32>
  %c = spmd.convert %x over @mesh[dense] [tp] (R -> P) : tensor<8xf32> -> tensor<8xf32>
  %d = spmd.convert %x over @mesh[dense] [tp] (I -> P) : tensor<8xf32> -> tensor<8xf32>
  return %a, %b, %c, %d : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}
