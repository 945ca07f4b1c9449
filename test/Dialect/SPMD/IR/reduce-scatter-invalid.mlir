// RUN: moefold-opt %s -split-input-file -verify-diagnostics

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Reducing a replicated value multiplies it by the group size.
func.func @negative_reduce_scatter_replicate_source(%x: tensor<8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{reduces a P operand, got R}}
  %s = spmd.reduce_scatter %x over @mesh[dense] [tp] (R -> V) dim 0 : tensor<8xf32> -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A reduce-scatter leaves shards; a full result is an all_reduce.
func.func @negative_reduce_scatter_replicate_result(%x: tensor<8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{produces V, got R: use spmd.all_reduce for P -> R or P -> I}}
  %s = spmd.reduce_scatter %x over @mesh[dense] [tp] (P -> R) dim 0 : tensor<8xf32> -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// P -> P leaves the reduction pending.
func.func @negative_reduce_scatter_same_kind(%x: tensor<8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{src and dst are both P: nothing to do}}
  %s = spmd.reduce_scatter %x over @mesh[dense] [tp] (P -> P) dim 0 : tensor<8xf32> -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Six rows cannot be split evenly over ep = 4 ranks.
func.func @negative_reduce_scatter_indivisible(%x: tensor<6x4xf32>) -> tensor<1x4xf32> {
  // expected-error @+1 {{scatters dimension 0 of size 6 over [ep] (4 ranks), but 6 is not divisible by 4}}
  %s = spmd.reduce_scatter %x over @mesh[expert] [ep] (P -> V) dim 0 : tensor<6x4xf32> -> tensor<1x4xf32>
  return %s : tensor<1x4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The shard size follows from the group size.
func.func @negative_reduce_scatter_result_size(%x: tensor<8x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{scatters dimension 0 of size 8 over [tp] (2 ranks), so result dimension 0 must be 4, got 2}}
  %s = spmd.reduce_scatter %x over @mesh[dense] [tp] (P -> V) dim 0 : tensor<8x4xf32> -> tensor<2x4xf32>
  return %s : tensor<2x4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The scattered dim must exist.
func.func @negative_reduce_scatter_dim_out_of_range(%x: tensor<8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{dim 1 is out of range for rank 1}}
  %s = spmd.reduce_scatter %x over @mesh[dense] [tp] (P -> V) dim 1 : tensor<8xf32> -> tensor<4xf32>
  return %s : tensor<4xf32>
}
