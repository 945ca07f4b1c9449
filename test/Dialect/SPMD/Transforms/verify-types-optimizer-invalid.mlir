// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// What the optimizer half of a training step may not do.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// One norm over split and replicated gradients: summing its square over tp
// counts the replicated ones twice, not summing it misses the other shards.
func.func @negative_global_norm_mixed(
    // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
    %whole: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
    %shard: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<f32> {
  // expected-error @+1 {{'moe.global_norm' op mixes operands typed R and V on axis tp of @mesh[dense]: operand #0 (%arg0) is R, operand #1 (%arg1) is V; a norm must count every element once: take one norm per group of gradients typed alike and sum each group's squares over exactly the axes where it is V}}
  %n = moe.global_norm %whole, %shard : tensor<8xf32>, tensor<8x4xf32>
  return %n : tensor<f32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// The norm of a pending sum is not the sum of the ranks' norms.
func.func @negative_global_norm_partial(
    // expected-note @+1 {{type P on axis dp of @mesh[dense] comes from here}}
    %g: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P}>}) -> tensor<f32> {
  // expected-error @+1 {{'moe.global_norm' op is non-linear in operand #0 (%arg0), which is P on axis dp of @mesh[dense] (a pending sum)}}
  %n = moe.global_norm %g : tensor<8xf32>
  return %n : tensor<f32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// A P gradient into the update: the data-parallel all-reduce is missing.
func.func @negative_sgd_partial_gradient(
    %p: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R}>},
    // expected-note @+1 {{type P on axis dp of @mesh[dense] comes from here}}
    %g: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P}>},
    %s: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = R}>},
    %apply: tensor<i1> {spmd.local = #spmd.local<@mesh[dense] {dp = R}>}) -> tensor<8xf32> {
  // expected-error @+1 {{'moe.sgd_step' op is non-linear in operand #1 (%arg1), which is P on axis dp of @mesh[dense] (a pending sum): a non-linear op of a partial sum is not the partial sum of the op; reduce it first (spmd.all_reduce P -> R): a gradient that is a pending sum over dp needs its all-reduce over dp before the optimizer update}}
  %p2 = moe.sgd_step %p, %g, %s, %s, %apply weight_decay = 0.0 : tensor<8xf32>
  return %p2 : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// The weight gradient over this rank's tokens, typed V as the op computes
// it, into the update: the same missing all-reduce.
func.func @negative_adamw_pending_gradient(
    %x: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V}>},
    %w: tensor<8x6xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R}>},
    %dout: tensor<2x4x6xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V}>},
    %s: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = R}>},
    %apply: tensor<i1> {spmd.local = #spmd.local<@mesh[dense] {dp = R}>}) -> tensor<8x6xf32> {
  // expected-note @+1 {{pending sum over axis dp of @mesh[dense] (typed V) made here: the op contracts operands split on dp}}
  %dx, %dw = moe.linear_grad %x, %w, %dout : tensor<2x4x8xf32>, tensor<8x6xf32>, tensor<2x4x6xf32>
  // expected-error @+1 {{'moe.adamw_step' op is non-linear in operand #1 (%dweight), which is V on axis dp of @mesh[dense] but a pending sum (see the note): a non-linear op of a partial sum is not the partial sum of the op; reduce it first (spmd.all_reduce V -> R): a gradient that is a pending sum over dp needs its all-reduce over dp before the optimizer update}}
  %w2, %m2, %v2 = moe.adamw_step %w, %dw, %w, %w, %s, %s, %s, %apply beta1 = 0.9 beta2 = 0.95 epsilon = 1.0e-08 weight_decay = 0.1 : tensor<8x6xf32>
  return %w2 : tensor<8x6xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// A shard of the gradient cannot update the whole parameter element-wise.
func.func @negative_adamw_shard_gradient(
    // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
    %p: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
    %g: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %s: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    %apply: tensor<i1> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<8x4xf32> {
  // expected-error @+1 {{'moe.adamw_step' op mixes operands typed R and V on axis tp of @mesh[dense]: operand #0 (%arg0) is R, operand #1 (%arg1) is V; an element-wise update needs the gradient and the optimizer moments distributed like the parameter}}
  %p2, %m2, %v2 = moe.adamw_step %p, %g, %p, %p, %s, %s, %s, %apply beta1 = 0.9 beta2 = 0.95 epsilon = 1.0e-08 weight_decay = 0.1 : tensor<8x4xf32>
  return %p2 : tensor<8x4xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// A clip scale that differs per rank updates the replicas differently.
func.func @negative_update_varying_scalar(
    %p: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
    %s: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %lr: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    %apply: tensor<i1> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<8xf32> {
  // expected-error @+1 {{'moe.sgd_step' op uses operand #2 (%arg1), which is V on axis tp of @mesh[dense], as a per-step scalar: every rank must apply the same update, so it must be R or I there}}
  %p2 = moe.sgd_step %p, %p, %s, %lr, %apply weight_decay = 0.0 : tensor<8xf32>
  return %p2 : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// A norm squared per rank and never all-reduced, taken as the clip scale.
func.func @negative_update_partial_scalar(
    %p: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %s: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
    %lr: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    %apply: tensor<i1> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<8xf32> {
  // expected-error @+1 {{'moe.sgd_step' op uses operand #2 (%arg1), which is P on axis tp of @mesh[dense] (a pending sum), as a per-step scalar: every rank must apply the same update, so it must be R or I there; reduce it first (spmd.all_reduce P -> R)}}
  %p2 = moe.sgd_step %p, %p, %s, %lr, %apply weight_decay = 0.0 : tensor<8xf32>
  return %p2 : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// The clip scale is a non-linear function of the norm.
func.func @negative_clip_scale_partial(
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %norm: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>}) -> tensor<f32> {
  // expected-error @+1 {{'moe.clip_scale' op is non-linear in operand #0 (%arg0), which is P on axis tp of @mesh[dense] (a pending sum)}}
  %scale, %apply = moe.clip_scale %norm max_norm = 1.0
  return %scale : tensor<f32>
}
