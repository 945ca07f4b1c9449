// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// Gradient ops are linear in the incoming gradient only.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// The saved forward input of rms_norm_grad enters through 1/rms(x): a
// pending x is not the sum of the ranks' x's there.
func.func @negative_grad_rms_norm_partial_x(
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %x: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
    %w: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    %dout: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<8xf32> {
  // expected-error @+1 {{'moe.rms_norm_grad' op is non-linear in operand #0 (%arg0), which is P on axis tp of @mesh[dense] (a pending sum): a non-linear op of a partial sum is not the partial sum of the op; reduce it first (spmd.all_reduce P -> R)}}
  %dx, %dw = moe.rms_norm_grad %x, %w, %dout epsilon = 1.0e-05 : tensor<2x4x8xf32>, tensor<8xf32>
  return %dw : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// dx = dout w^T is bilinear: pending in both factors is not a pending sum.
func.func @negative_grad_linear_two_partials(
    %x: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %w: tensor<8x6xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %dout: tensor<2x4x6xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>}) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'moe.linear_grad' op has P in two factors on axis tp of @mesh[dense]: operand #1 (%arg1) and operand #2 (%arg2) are both P, and a product of pending sums is not a pending sum; reduce one of them first}}
  %dx, %dw = moe.linear_grad %x, %w, %dout : tensor<2x4x8xf32>, tensor<8x6xf32>, tensor<2x4x6xf32>
  return %dx : tensor<2x4x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// The router's two incoming gradients are summed: a pending dscores plus a
// replicated dprobs counts dprobs once per rank.
func.func @negative_grad_router_partial_plus_replicate(
    %x: tensor<1x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    %w: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    %probs: tensor<1x4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    %idx: tensor<1x4x2xi32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %dscores: tensor<1x4x2xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
    // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
    %dprobs: tensor<1x4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<8x4xf32> {
  // expected-error @+1 {{'moe.router_grad' op adds operand #4 (%arg4), which is P on axis tp of @mesh[dense], to operand #5 (%arg5), which is R: the pending sum would count that term 2 times (once per rank of tp); reduce the P operand first, or make the other one P too (spmd.convert R -> P)}}
  %dx, %dw = moe.router_grad %x, %w, %probs, %idx, %dscores, %dprobs scoring = softmax top_k = 2 : tensor<1x4x8xf32>, tensor<8x4xf32>, tensor<1x4x4xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  return %dw : tensor<8x4xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// The sum of the router's incoming gradients is one factor of dx: with a
// pending weight it is a product of two pending sums.
func.func @negative_grad_router_partial_weight_and_gradient(
    %x: tensor<1x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %w: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
    %probs: tensor<1x4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    %idx: tensor<1x4x2xi32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %dscores: tensor<1x4x2xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>}) -> tensor<1x4x8xf32> {
  %zero = moe.fill 0.0 : tensor<1x4x4xf32>
  // expected-error @+1 {{'moe.router_grad' op has P in two factors on axis tp of @mesh[dense]: operand #1 (%arg1) and operand #4 (%arg4) are both P}}
  %dx, %dw = moe.router_grad %x, %w, %probs, %idx, %dscores, %zero scoring = softmax top_k = 2 : tensor<1x4x8xf32>, tensor<8x4xf32>, tensor<1x4x4xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  return %dx : tensor<1x4x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// The loss gradient is non-linear in the logits (softmax).
func.func @negative_grad_cross_entropy_partial_logits(
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %logits: tensor<1x4x16xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
    %targets: tensor<1x4xi32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<1x4x16xf32> {
  %seed = moe.fill 1.0 : tensor<f32>
  // expected-error @+1 {{'moe.cross_entropy_grad' op is non-linear in operand #0 (%arg0), which is P on axis tp of @mesh[dense] (a pending sum)}}
  %d = moe.cross_entropy_grad %logits, %targets, %seed : tensor<1x4x16xf32>, tensor<1x4xi32>, tensor<f32>
  return %d : tensor<1x4x16xf32>
}
