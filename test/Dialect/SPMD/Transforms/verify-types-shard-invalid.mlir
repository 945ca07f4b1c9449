// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// A V known to be a shard -- a split batch argument, a parameter or state
// shard, a slice, and what ops that do not sum over the split dimension
// compute from them -- is data split over its axis, not a partial sum:
// summing it over the axis adds up different ranks' data.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// Activations of this rank's tokens all-reduced over dp as well as tp.
func.func @negative_shard_tokens_summed(
    // expected-note @+1 {{type V on axis dp of @mesh[dense] comes from here}}
    %x: tensor<2x4x8xf32> {moe.global_placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = R}>,
                           spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %n: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}) -> tensor<2x4x8xf32> {
  %y = moe.rms_norm %x, %n : tensor<2x4x8xf32>, tensor<8xf32>
  // expected-error @+1 {{'spmd.all_reduce' op operand %0 is V on axis dp of @mesh[dense], a shard of data split over dp (not a partial sum), and 'spmd.all_reduce' (V -> R) would sum it over dp, adding up different ranks' data; all-gather it (spmd.all_gather V -> R) to make it whole}}
  %r = spmd.all_reduce %y over @mesh[dense] [dp] (V -> R) : tensor<2x4x8xf32>
  return %r : tensor<2x4x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

moe.param @w : tensor<8x4xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> {global_type = tensor<8x8xf32>}

// A column shard of a weight all-reduced as if it were a partial sum.
func.func @negative_shard_parameter_summed(
    %unused: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<8x4xf32> {
  // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
  %w = moe.get_param @w {spmd.local = #spmd.local<@mesh[dense] {tp = V}>} : tensor<8x4xf32>
  // expected-error @+1 {{'spmd.all_reduce' op operand %0 is V on axis tp of @mesh[dense], a shard of data split over tp (not a partial sum), and 'spmd.all_reduce' (V -> I) would sum it over tp}}
  %r = spmd.all_reduce %w over @mesh[dense] [tp] (V -> I) : tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// A slice is not a share of a sum.
func.func @negative_shard_reinterpreted(
    %x: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<4xf32> {
  // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
  %s = spmd.convert %x over @mesh[dense] [tp] (R -> V) dim 0 : tensor<8xf32> -> tensor<4xf32>
  %t = math.tanh %s : tensor<4xf32>
  // expected-error @+1 {{'spmd.reinterpret' op operand %1 is V on axis tp of @mesh[dense], a shard of data split over tp (not a partial sum), and 'spmd.reinterpret' (V -> P) would sum it over tp}}
  %p = spmd.reinterpret %t over @mesh[dense] [tp] (V -> P) : tensor<4xf32>
  %r = spmd.all_reduce %p over @mesh[dense] [tp] (P -> R) : tensor<4xf32>
  return %r : tensor<4xf32>
}
