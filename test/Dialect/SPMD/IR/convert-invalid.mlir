// RUN: moefold-opt %s -split-input-file -verify-diagnostics

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Turning a pending sum into a full value needs communication.
func.func @negative_convert_partial_to_replicate(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{convert cannot turn P into R: use spmd.all_reduce (convert never communicates)}}
  %c = spmd.convert %x over @mesh[dense] [tp] (P -> R) : tensor<4xf32> -> tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// P -> I is an all-reduce as well.
func.func @negative_convert_partial_to_invariant(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{convert cannot turn P into I: use spmd.all_reduce (convert never communicates)}}
  %c = spmd.convert %x over @mesh[dense] [tp] (P -> I) : tensor<4xf32> -> tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Reassembling shards needs the other ranks' data.
func.func @negative_convert_varying_to_replicate(%x: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{convert cannot turn V into R: use spmd.all_gather (convert never communicates)}}
  %c = spmd.convert %x over @mesh[dense] [tp] (V -> R) dim 0 : tensor<4xf32> -> tensor<8xf32>
  return %c : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// V -> I gathers too.
func.func @negative_convert_varying_to_invariant(%x: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{convert cannot turn V into I: use spmd.all_gather (convert never communicates)}}
  %c = spmd.convert %x over @mesh[dense] [tp] (V -> I) dim 0 : tensor<4xf32> -> tensor<8xf32>
  return %c : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Reducing and keeping a shard is a reduce-scatter.
func.func @negative_convert_partial_to_varying(%x: tensor<8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{convert cannot turn P into V: use spmd.reduce_scatter (convert never communicates)}}
  %c = spmd.convert %x over @mesh[dense] [tp] (P -> V) dim 0 : tensor<8xf32> -> tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// R -> R changes nothing.
func.func @negative_convert_same_kind(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{src and dst are both R: nothing to do}}
  %c = spmd.convert %x over @mesh[dense] [tp] (R -> R) : tensor<4xf32> -> tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A slice must say which dimension it slices.
func.func @negative_convert_slice_without_dim(%x: tensor<8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{convert R -> V slices a tensor dimension: give `dim`}}
  %c = spmd.convert %x over @mesh[dense] [tp] (R -> V) : tensor<8xf32> -> tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A zero-pad must say which dimension it pads.
func.func @negative_convert_pad_without_dim(%x: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{convert V -> P zero-pads a tensor dimension: give `dim`}}
  %c = spmd.convert %x over @mesh[dense] [tp] (V -> P) : tensor<4xf32> -> tensor<8xf32>
  return %c : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// I -> R moves no data, so a dim would be meaningless.
func.func @negative_convert_dim_on_relabel(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{convert I -> R keeps the shape and takes no `dim`}}
  %c = spmd.convert %x over @mesh[dense] [tp] (I -> R) dim 0 : tensor<8xf32> -> tensor<8xf32>
  return %c : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// R -> P zeroes ranks but keeps the type.
func.func @negative_convert_relabel_type_change(%x: tensor<8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{convert R -> P keeps the type, but the result type 'tensor<4xf32>' differs from the operand type 'tensor<8xf32>'}}
  %c = spmd.convert %x over @mesh[dense] [tp] (R -> P) : tensor<8xf32> -> tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Slicing 6 rows over ep = 4 leaves uneven shards.
func.func @negative_convert_slice_indivisible(%x: tensor<6xf32>) -> tensor<1xf32> {
  // expected-error @+1 {{slices dimension 0 of size 6 over [ep] (4 ranks), but 6 is not divisible by 4}}
  %c = spmd.convert %x over @mesh[expert] [ep] (R -> V) dim 0 : tensor<6xf32> -> tensor<1xf32>
  return %c : tensor<1xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The slice size follows from the group size.
func.func @negative_convert_slice_size(%x: tensor<8xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{slices dimension 0 of size 8 over [tp] (2 ranks), so result dimension 0 must be 4, got 2}}
  %c = spmd.convert %x over @mesh[dense] [tp] (I -> V) dim 0 : tensor<8xf32> -> tensor<2xf32>
  return %c : tensor<2xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The zero-pad restores exactly the unsliced size.
func.func @negative_convert_pad_size(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{zero-pads dimension 0 of size 4 over [tp] (2 ranks), so result dimension 0 must be 8, got 4}}
  %c = spmd.convert %x over @mesh[dense] [tp] (V -> P) dim 0 : tensor<4xf32> -> tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The sliced dim must exist.
func.func @negative_convert_dim_out_of_range(%x: tensor<8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{dim 3 is out of range for rank 1}}
  %c = spmd.convert %x over @mesh[dense] [tp] (R -> V) dim 3 : tensor<8xf32> -> tensor<4xf32>
  return %c : tensor<4xf32>
}
