// RUN: moefold-opt %s | moefold-opt | FileCheck %s

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @all_reduce_partial_to_replicate
// CHECK-SAME: %[[X:.*]]: tensor<4x8xf32>
// CHECK: spmd.all_reduce %[[X]] over @mesh[dense] [tp] (P -> R) : tensor<4x8xf32>
// The row-parallel linear's output: the default sum reduction is not printed.
func.func @all_reduce_partial_to_replicate(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = spmd.all_reduce %x over @mesh[dense] [tp] (P -> R) : tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @all_reduce_to_invariant_max
// CHECK: spmd.all_reduce %{{.*}} over @mesh[dense] [dp, tp] (P -> I) reduction = max : tensor<f32>
// A grad-norm style reduction over two axes with a non-default kind.
func.func @all_reduce_to_invariant_max(%x: tensor<f32>) -> tensor<f32> {
  %r = spmd.all_reduce %x over @mesh[dense] [dp, tp] (P -> I) reduction = max : tensor<f32>
  return %r : tensor<f32>
}

// CHECK-LABEL: func.func @all_reduce_varying_source
// CHECK: spmd.all_reduce %{{.*}} over @mesh[expert] [edp] (V -> R) reduction = avg : tensor<?x16xf32>
// V is accepted as an implicit V -> P reinterpret; dynamic shapes are fine.
func.func @all_reduce_varying_source(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %r = spmd.all_reduce %x over @mesh[expert] [edp] (V -> R) reduction = avg : tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @all_reduce_explicit_sum
// CHECK: spmd.all_reduce %{{.*}} over @mesh[dense] [tp] (P -> R) : tensor<4xf32>
// Writing the default explicitly is allowed and prints back elided.
func.func @all_reduce_explicit_sum(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = spmd.all_reduce %x over @mesh[dense] [tp] (P -> R) reduction = sum : tensor<4xf32>
  return %r : tensor<4xf32>
}
