// RUN: moefold-opt %s -split-input-file -verify-diagnostics

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A collective over no axis has a group of one: almost surely a bug.
func.func @negative_typed_op_no_axis(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{needs at least one mesh axis}}
  %r = spmd.all_reduce %x over @mesh[dense] [] (P -> R) : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Listing an axis twice would square its size in the group.
func.func @negative_typed_op_duplicate_axis(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{axis 'tp' is listed more than once}}
  %r = spmd.all_reduce %x over @mesh[dense] [tp, tp] (P -> R) : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Only the dense and expert views exist.
func.func @negative_typed_op_unknown_view(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unknown mesh view 'pipeline' (expected 'dense' or 'expert')}}
  %i = spmd.reinterpret %x over @mesh[pipeline] [pp] (V -> P) : tensor<4xf32>
  return %i : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// S(d) is a global placement; typed ops speak local types only.
func.func @negative_typed_op_bad_kind(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected a local SPMD type R, I, V or P, got 'S'}}
  %r = spmd.all_reduce %x over @mesh[dense] [tp] (S -> R) : tensor<4xf32>
  return %r : tensor<4xf32>
}
