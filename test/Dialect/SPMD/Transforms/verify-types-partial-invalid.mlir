// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// A partial (P) value is a sum over the axis that has not happened yet. Only
// ops that commute with that sum may touch it.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A norm of a row-parallel output before its all-reduce: rms_norm of a
// partial sum is not the partial sum of rms_norms.
func.func @negative_partial_rms_norm(
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %p: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
    %g: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<4x8xf32> {
  // expected-error @+1 {{'moe.rms_norm' op is non-linear in operand #0 (%arg0), which is P on axis tp of @mesh[dense] (a pending sum): a non-linear op of a partial sum is not the partial sum of the op; reduce it first (spmd.all_reduce P -> R)}}
  %y = moe.rms_norm %p, %g : tensor<4x8xf32>, tensor<8xf32>
  return %y : tensor<4x8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Routing on partial hidden states picks experts from a fraction of the sum.
func.func @negative_partial_router(
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %p: tensor<1x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
    %w: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<1x4x2xf32> {
  // expected-error @+1 {{'moe.router' op is non-linear in operand #0 (%arg0), which is P on axis tp of @mesh[dense]}}
  %scores, %indices, %probs = moe.router %p, %w scoring = softmax top_k = 2 : tensor<1x4x8xf32>, tensor<8x4xf32>
  return %scores : tensor<1x4x2xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Cross-entropy of partial logits (a vocab-parallel head without its
// reduction).
func.func @negative_partial_cross_entropy(
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %logits: tensor<1x4x16xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
    %targets: tensor<1x4xi32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<f32> {
  // expected-error @+1 {{'moe.cross_entropy' op is non-linear in operand #0 (%arg0), which is P on axis tp of @mesh[dense]}}
  %ce = moe.cross_entropy %logits, %targets : tensor<1x4x16xf32>, tensor<1x4xi32>
  return %ce : tensor<f32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A pending sum and a varying value have no common meaning.
func.func @negative_partial_plus_varying(
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %p: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
    // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
    %v: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'moe.add' op cannot mix P and V on axis tp of @mesh[dense]: operand #0 (%arg0) is P, operand #1 (%arg1) is V; reduce the partial value first (spmd.all_reduce P -> R, or spmd.reduce_scatter P -> V)}}
  %s = moe.add %p, %v : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// P + R: adding a replicated residual to a row-parallel output before the
// all-reduce counts the residual tp times.
func.func @negative_partial_plus_replicate(
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %p: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
    // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
    %r: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'moe.add' op adds operand #1 (%arg0), which is P on axis tp of @mesh[dense], to operand #0 (%arg1), which is R: the pending sum would count that term 2 times (once per rank of tp); reduce the P operand first, or make the other one P too (spmd.convert R -> P)}}
  %s = moe.add %r, %p : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// P + constant is affine, not linear: the constant is summed tp times.
func.func @negative_partial_plus_constant(
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %p: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>}) -> tensor<4xf32> {
  %c = arith.constant dense<1.0> : tensor<4xf32>
  // expected-error @+1 {{'arith.addf' op adds operand #0 (%arg0), which is P on axis tp of @mesh[dense], to a constant operand #1 (%cst): the pending sum would count that term 2 times}}
  %s = arith.addf %p, %c : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A product of two pending sums is not a pending sum.
func.func @negative_partial_times_partial(
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %a: tensor<4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %b: tensor<4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>}) -> tensor<4x4xf32> {
  // expected-error @+1 {{'moe.linear' op has P in two factors on axis tp of @mesh[dense]: operand #0 (%arg0) and operand #1 (%arg1) are both P, and a product of pending sums is not a pending sum; reduce one of them first}}
  %y = moe.linear %a, %b : tensor<4x4xf32>, tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Partial expert indices (e.g. counts summed per rank) cannot select rows.
func.func @negative_partial_indices(
    %x: tensor<1x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %idx: tensor<1x4x2xi32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>}) -> tensor<8x8xf32> {
  // expected-error @+1 {{'moe.dispatch' op uses operand #1 (%arg1), which is P on axis tp of @mesh[dense] (a pending sum), as index data; reduce it first}}
  %sorted, %sizes = moe.dispatch %x, %idx num_experts = 4 : tensor<1x4x8xf32>, tensor<1x4x2xi32>
  return %sorted : tensor<8x8xf32>
}
