// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// A write must receive the declared type of the parameter or state.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// expected-note @+1 {{type R on axis dp of @mesh[dense] comes from here}}
moe.state @grad.w : tensor<8x4xf32> {global_placement = #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>, global_type = tensor<8x8xf32>}

// A P gradient stored without its data-parallel all-reduce.
func.func @negative_write_partial(
    // expected-note @+1 {{type P on axis dp of @mesh[dense] comes from here}}
    %g: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = V}>}) {
  // expected-error @+1 {{'moe.set_state' op writes %arg0, which is P on axis dp of @mesh[dense], into @grad.w, which is R there: all-reduce it over dp first (a gradient that is this rank's share of a sum over dp misses its all-reduce)}}
  moe.set_state @grad.w, %g : tensor<8x4xf32>
  // Reported once: the value is not checked again.
  moe.set_state @grad.w, %g : tensor<8x4xf32>
  return
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// expected-note @+1 {{type R on axis dp of @mesh[dense] comes from here}}
moe.state @grad.w : tensor<8x6xf32>

// The weight gradient over this rank's tokens (typed V as the op computes
// it) stored without its all-reduce.
func.func @negative_write_pending(
    %x: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %w: tensor<8x6xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>},
    %dout: tensor<2x4x6xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>}) {
  // expected-note @+1 {{pending sum over axis dp of @mesh[dense] (typed V) made here: the op contracts operands split on dp}}
  %dx, %dw = moe.linear_grad %x, %w, %dout : tensor<2x4x8xf32>, tensor<8x6xf32>, tensor<2x4x6xf32>
  // expected-error @+1 {{'moe.set_state' op writes %dweight, which is V on axis dp of @mesh[dense] but a pending sum, into @grad.w, which is R there: all-reduce it over dp first (a gradient that is this rank's share of a sum over dp misses its all-reduce)}}
  moe.set_state @grad.w, %dw : tensor<8x6xf32>
  return
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
moe.param @n : tensor<8xf32> family = norm

// A shard written into a replicated parameter.
func.func @negative_write_shard_into_whole(
    // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
    %v: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) {
  // expected-error @+1 {{'moe.set_param' op writes %arg0, which is V on axis tp of @mesh[dense], into @n, which is R there: all-gather it over tp first}}
  moe.set_param @n, %v : tensor<8xf32>
  return
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

moe.param @w : tensor<8x4xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> {global_type = tensor<8x8xf32>}

// The whole value written into a split parameter. The declared type is
// what the earlier read says.
func.func @negative_write_whole_into_shard(
    // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
    %r: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) {
  // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
  %w = moe.get_param @w {spmd.local = #spmd.local<@mesh[dense] {tp = V}>} : tensor<8x4xf32>
  // expected-error @+1 {{'moe.set_param' op writes %arg0, which is R on axis tp of @mesh[dense], into @w, which is V there: keep this rank's slice first (spmd.convert R -> V)}}
  moe.set_param @w, %r : tensor<8x4xf32>
  return
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
moe.state @acc : tensor<2x8xf32> {global_placement = #spmd.placement<@mesh[dense] {tp = S(1)}>, global_type = tensor<2x16xf32>}

// Storage holds values: a pending sum is reduced before it is stored, even
// into split storage.
func.func @negative_write_pending_into_shard(
    %x: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %w: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here}}
  %y = moe.linear %x, %w : tensor<2x4xf32>, tensor<4x8xf32>
  // expected-error @+1 {{'moe.set_state' op writes %0, which is V on axis tp of @mesh[dense] but a pending sum, into @acc, which is V there: storage holds values, not pending sums; reduce-scatter it over tp first}}
  moe.set_state @acc, %y : tensor<2x8xf32>
  return
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// expected-note @+1 {{type R on axis dp of @mesh[dense] comes from here}}
moe.state @s : tensor<8xf32>

// A value typed on the expert view with different types on the expert axes
// a dp group spans has no single type on dp.
func.func @negative_write_no_single_type(
    %e: tensor<8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>}) {
  // expected-error @+1 {{'moe.set_state' op writes %arg0, which has no single local type on axis dp of @mesh[dense] (the groups of dp span edp (R), ep (V) of @mesh[expert], where the value has different types), into @s, which is R there}}
  moe.set_state @s, %e : tensor<8xf32>
  return
}

// -----

spmd.mesh @a world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
spmd.mesh @b world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]

moe.state @s : tensor<8xf32>

// A declaration without a placement is typed on the module's mesh; with two
// meshes the program must say which.
func.func @negative_storage_two_meshes(
    %v: tensor<8xf32> {spmd.local = #spmd.local<@a[dense] {dp = R}>}) -> tensor<8xf32> {
  // expected-error @+1 {{'moe.set_state' op cannot check the value written into @s: @s has no placement and the module has no single valid spmd.mesh to type it on; give the op a 'spmd.local' attribute}}
  moe.set_state @s, %v : tensor<8xf32>
  // expected-note @+1 {{%0 is defined here}}
  %r = moe.get_state @s : tensor<8xf32>
  // expected-error @+1 {{'moe.add' op operand #1 (%0) has no local type: @s has no placement and the module has no single valid spmd.mesh to type it on; give the op a 'spmd.local' attribute}}
  %sum = moe.add %v, %r : tensor<8xf32>
  return %sum : tensor<8xf32>
}
