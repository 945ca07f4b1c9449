// RUN: moefold-opt %s -split-input-file -verify-diagnostics

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Reducing an already replicated value multiplies it by the group size.
func.func @negative_all_reduce_replicate_source(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{reduces a P (or V) operand, got R}}
  %r = spmd.all_reduce %x over @mesh[dense] [tp] (R -> I) : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// An all-reduce leaves every rank with the same value, never a shard.
func.func @negative_all_reduce_varying_result(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{produces R or I, got V: use spmd.reduce_scatter for P -> V}}
  %r = spmd.all_reduce %x over @mesh[dense] [tp] (P -> V) : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A reduction that leaves the value pending did nothing.
func.func @negative_all_reduce_same_kind(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{src and dst are both P: nothing to do}}
  %r = spmd.all_reduce %x over @mesh[dense] [tp] (P -> P) : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// An all-reduce does not change the type (only the generic form can try).
func.func @negative_all_reduce_shape(%x: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %r = "spmd.all_reduce"(%x) <{axes = ["tp"], dst = #spmd.local_kind<R>, mesh = @mesh, src = #spmd.local_kind<P>, view = "dense"}> : (tensor<4xf32>) -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The reduction keyword is checked at parse time.
func.func @negative_all_reduce_unknown_reduction(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unknown reduction 'prod' (expected sum, avg or max)}}
  %r = spmd.all_reduce %x over @mesh[dense] [tp] (P -> R) reduction = prod : tensor<4xf32>
  return %r : tensor<4xf32>
}
