// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// A typed collective, convert or reinterpret states the type of its operand
// on its axes (`src`); the operand must have it.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// All-reducing an R value over tp multiplies it by tp (a doubled residual).
func.func @negative_collectives_all_reduce_replicate(
    // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
    %r: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'spmd.all_reduce' op operand %arg0 is typed R on axis tp of @mesh[dense], but the op expects src P (reducing an R value over tp would multiply it by the axis size)}}
  %s = spmd.all_reduce %r over @mesh[dense] [tp] (P -> R) : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Reducing a gradient that is already complete (I) over tp: tp times too
// large.
func.func @negative_collectives_all_reduce_invariant(
    // expected-note @+1 {{type I on axis tp of @mesh[dense] comes from here}}
    %g: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = I}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'spmd.all_reduce' op operand %arg0 is typed I on axis tp of @mesh[dense], but the op expects src P (reducing an I value over tp would multiply it by the axis size)}}
  %s = spmd.all_reduce %g over @mesh[dense] [dp, tp] (P -> I) : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A varying value handed to a P -> R all-reduce: it must be declared a
// partial sum (or the op must say src V).
func.func @negative_collectives_all_reduce_varying(
    // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
    %v: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'spmd.all_reduce' op operand %arg0 is typed V on axis tp of @mesh[dense], but the op expects src P (if it is a partial sum, say so with spmd.reinterpret V -> P, or use src V)}}
  %s = spmd.all_reduce %v over @mesh[dense] [tp] (P -> R) : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Gathering a replicated value concatenates tp identical copies.
func.func @negative_collectives_all_gather_replicate(
    // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
    %r: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<8xf32> {
  // expected-error @+1 {{'spmd.all_gather' op operand %arg0 is typed R on axis tp of @mesh[dense], but the op expects src V}}
  %g = spmd.all_gather %r over @mesh[dense] [tp] (V -> R) dim 0 : tensor<4xf32> -> tensor<8xf32>
  return %g : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Reduce-scattering a varying value as if it were partial.
func.func @negative_collectives_reduce_scatter_varying(
    // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
    %v: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'spmd.reduce_scatter' op operand %arg0 is typed V on axis tp of @mesh[dense], but the op expects src P}}
  %s = spmd.reduce_scatter %v over @mesh[dense] [tp] (P -> V) dim 0 : tensor<8xf32> -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The all-to-all of the folded dispatch without the token partition first:
// every lane would send the same tokens (tp x the dispatch volume).
func.func @negative_collectives_all_to_all_replicate(
    // expected-note @+1 {{type R on axis ep of @mesh[expert] comes from here}}
    %x: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = R, etp = R}>},
    %send: tensor<4xi64>, %recv: tensor<4xi64>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'spmd.all_to_all' op operand %arg0 is typed R on axis ep of @mesh[expert], but the op expects src V}}
  %y = spmd.all_to_all %x, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Slicing an I value with the R -> V convert: its backward zero-pads (a
// partial gradient) but the I type promised a complete one.
func.func @negative_collectives_convert_invariant(
    // expected-note @+1 {{type I on axis tp of @mesh[dense] comes from here}}
    %i: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = I}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'spmd.convert' op operand %arg0 is typed I on axis tp of @mesh[dense], but the op expects src R (an I value's gradient is complete on every rank; spmd.convert I -> R first adds the backward all-reduce its gradient now needs)}}
  %s = spmd.convert %i over @mesh[dense] [tp] (R -> V) dim 0 : tensor<8xf32> -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Even the explicit reinterpret states what it starts from.
func.func @negative_collectives_reinterpret(
    // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
    %r: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'spmd.reinterpret' op operand %arg0 is typed R on axis tp of @mesh[dense], but the op expects src V}}
  %p = spmd.reinterpret %r over @mesh[dense] [tp] (V -> P) : tensor<4xf32>
  return %p : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A constant is the same on every rank: it cannot be a shard.
func.func @negative_collectives_constant(
    %x: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<8xf32> {
  %c = arith.constant dense<0.0> : tensor<4xf32>
  // expected-error @+1 {{'spmd.all_gather' op operand %cst is a constant (I on every axis), but the op expects src V on axis tp of @mesh[dense]}}
  %g = spmd.all_gather %c over @mesh[dense] [tp] (V -> R) dim 0 : tensor<4xf32> -> tensor<8xf32>
  return %g : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A collective over an axis the operand is not typed on cannot be checked.
func.func @negative_collectives_untyped_axis(
    %x: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'spmd.all_reduce' op operand %arg0 has no local type on axis tp of @mesh[dense] (it is typed on other axes of that view only); the op expects src P}}
  %s = spmd.all_reduce %x over @mesh[dense] [tp] (P -> R) : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Typed on one axis of the expert view only: nothing says what it is on the
// dense view.
func.func @negative_collectives_untyped_view(
    %x: tensor<4xf32> {spmd.local = #spmd.local<@mesh[expert] {ep = V}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'spmd.all_reduce' op operand %arg0 has no local type on axis tp of @mesh[dense] (it is not typed on that view, nor on every axis of another view of the mesh); the op expects src P}}
  %s = spmd.all_reduce %x over @mesh[dense] [tp] (P -> R) : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A sum of squares of replicated gradients, reduced over dp as if each rank
// held a share: every element counted dp times.
func.func @negative_collectives_sum_replicate_as_varying(
    // expected-note @+1 {{type R on axis dp of @mesh[dense] comes from here}}
    %sq: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>}) -> tensor<f32> {
  // expected-error @+1 {{'spmd.all_reduce' op operand %arg0 is typed R on axis dp of @mesh[dense], but the op expects src V (it is whole on every rank of dp: summing it over dp counts it 4 times)}}
  %s = spmd.all_reduce %sq over @mesh[dense] [dp, tp] (V -> R) : tensor<f32>
  return %s : tensor<f32>
}
