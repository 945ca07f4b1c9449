// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// A value typed on one view has a type on an axis of the other view only
// when the rank layout gives it one; otherwise it must be converted first.

// world 8 = dp4 x tp2 = edp2 x ep4: a dp group {0,2,4,6} holds two edp
// replicas of two different expert shards.
spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Expert weights used directly with dense-typed tokens: on dp, the weights
// are R across expert replicas but V across expert shards, so they have no
// single type there.
func.func @negative_views_mixed(
    %x: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %w: tensor<4x6xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>}) -> tensor<8x6xf32> {
  // expected-error @+1 {{'moe.linear' op operand #1 (%arg1) has no single local type on axis dp of @mesh[dense]: the groups of dp span edp (R), ep (V) of @mesh[expert], where the value has different types; convert it to one type there first}}
  %y = moe.linear %x, %w : tensor<8x4xf32>, tensor<4x6xf32>
  return %y : tensor<8x6xf32>
}

// -----

// world 8 = dp2 x tp4 = edp4 x ep2: each ep group is half of a tp group.
spmd.mesh @mesh world = 8 dense = [dp, tp = 4] expert = [edp, ep = 2, etp = 1]

// Reducing a tp-partial value over ep sums only half of its partials.
func.func @negative_views_part_of_group(
    %p: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = P}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'spmd.all_reduce' op operand %arg0 has no local type on axis ep of @mesh[expert]: the groups of ep cover only part of the groups of tp (P) of @mesh[dense], and P does not carry over to part of a group (its value or gradient is a sum over the whole group); the op expects src P}}
  %s = spmd.all_reduce %p over @mesh[expert] [ep] (P -> R) : tensor<4xf32>
  return %s : tensor<4xf32>
}
