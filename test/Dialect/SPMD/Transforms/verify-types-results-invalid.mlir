// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// A returned value must have the type its function result declares.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A gradient still pending over tp handed to an optimizer that expects it
// complete: the tp reduction was forgotten.
func.func @negative_results_pending_grad(
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %g: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = P}>})
    -> (tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = I, tp = I}>}) {
  %r = spmd.all_reduce %g over @mesh[dense] [dp] (P -> I) : tensor<8xf32>
  // expected-error @+1 {{result #0 (%0) is typed P on axis tp of @mesh[dense], but the function declares it I}}
  return %r : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A declared axis the value has no type on.
func.func @negative_results_untyped_axis(
    %g: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = I}>})
    -> (tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = I, tp = I}>}) {
  // expected-error @+1 {{result #0 (%arg0) has no local type on axis tp of @mesh[dense], but the function declares it I}}
  return %g : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A constant is I: it cannot be returned as a shard.
func.func @negative_results_constant(
    %g: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = I}>})
    -> (tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) {
  %c = arith.constant dense<0.0> : tensor<8xf32>
  // expected-error @+1 {{result #0 (%cst) is typed I on axis tp of @mesh[dense], but the function declares it V}}
  return %c : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A declaration must be #spmd.local.
func.func @negative_results_wrong_attr(
    %g: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = I}>})
    -> (tensor<8xf32> {spmd.local = 1 : i32}) {
  // expected-error @+1 {{function result #0 declaration: 'spmd.local' must be a #spmd.local attribute or a non-empty array of them}}
  return %g : tensor<8xf32>
}

// -----

// world 8 = dp4 x tp2 = edp2 x ep4.
spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// An expert gradient declared complete over dp: the dp groups hold different
// expert shards, so it has no type there at all.
func.func @negative_results_mixed(
    %g: tensor<8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = I, ep = V, etp = I}>})
    -> (tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = I}>}) {
  // expected-error @+1 {{result #0 (%arg0) has no local type on axis dp of @mesh[dense], but the function declares it I (the groups of dp span edp (I), ep (V) of @mesh[expert], where the value has different types)}}
  return %g : tensor<8xf32>
}
