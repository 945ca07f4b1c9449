// RUN: moefold-opt %s -split-input-file -verify-diagnostics

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Gathering a partial value concatenates unreduced partial sums.
func.func @negative_all_gather_partial_source(%x: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{gathers a V operand, got P}}
  %g = spmd.all_gather %x over @mesh[dense] [tp] (P -> R) dim 0 : tensor<4xf32> -> tensor<8xf32>
  return %g : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A gather cannot produce a pending reduction.
func.func @negative_all_gather_partial_result(%x: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{produces R or I, got P}}
  %g = spmd.all_gather %x over @mesh[dense] [tp] (V -> P) dim 0 : tensor<4xf32> -> tensor<8xf32>
  return %g : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// V -> V is an all_to_all, not a gather.
func.func @negative_all_gather_same_kind(%x: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{src and dst are both V: nothing to do}}
  %g = spmd.all_gather %x over @mesh[dense] [tp] (V -> V) dim 0 : tensor<4xf32> -> tensor<8xf32>
  return %g : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The gathered dim must exist.
func.func @negative_all_gather_dim_out_of_range(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{dim 2 is out of range for rank 2}}
  %g = spmd.all_gather %x over @mesh[dense] [tp] (V -> R) dim 2 : tensor<4x4xf32> -> tensor<4x4xf32>
  return %g : tensor<4x4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A gather keeps the rank.
func.func @negative_all_gather_rank(%x: tensor<4x4xf32>) -> tensor<2x4x4xf32> {
  // expected-error @+1 {{result rank 3 differs from operand rank 2}}
  %g = spmd.all_gather %x over @mesh[dense] [tp] (V -> R) dim 0 : tensor<4x4xf32> -> tensor<2x4x4xf32>
  return %g : tensor<2x4x4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A gather moves data, it does not cast it.
func.func @negative_all_gather_element_type(%x: tensor<4xf32>) -> tensor<8xf16> {
  // expected-error @+1 {{result element type 'f16' differs from operand element type 'f32'}}
  %g = spmd.all_gather %x over @mesh[dense] [tp] (V -> R) dim 0 : tensor<4xf32> -> tensor<8xf16>
  return %g : tensor<8xf16>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Only the gathered dim may grow.
func.func @negative_all_gather_other_dim(%x: tensor<4x4xf32>) -> tensor<5x8xf32> {
  // expected-error @+1 {{result dimension 0 is 5 but operand dimension 0 is 4; only dim 1 may change}}
  %g = spmd.all_gather %x over @mesh[dense] [tp] (V -> R) dim 1 : tensor<4x4xf32> -> tensor<5x8xf32>
  return %g : tensor<5x8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The result size follows from the mesh: dp is 8/2 = 4 ranks, not 2.
func.func @negative_all_gather_group_size(%x: tensor<4x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{gathers dimension 0 of size 4 over [dp] (4 ranks), so result dimension 0 must be 16, got 8}}
  %g = spmd.all_gather %x over @mesh[dense] [dp] (V -> R) dim 0 : tensor<4x4xf32> -> tensor<8x4xf32>
  return %g : tensor<8x4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The dimension is a non-negative integer.
func.func @negative_all_gather_negative_dim(%x: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{attribute 'dim' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %g = spmd.all_gather %x over @mesh[dense] [tp] (V -> R) dim -1 : tensor<4xf32> -> tensor<8xf32>
  return %g : tensor<8xf32>
}
