// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// I does not mix with R, V or P without an explicit spmd.convert: an I
// value's gradient is promised complete on every rank, so a use that would
// make its gradient partial or varying must say so.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The forgotten copy-to-region (Megatron's _CopyToModelParallelRegion): an
// input identical on every TP lane feeds a column-parallel linear. Forward
// is right; backward, each lane's input gradient is only its shard's share
// and nothing all-reduces it.
func.func @negative_invariant_column_parallel(
    // expected-note @+1 {{type I on axis tp of @mesh[dense] comes from here}}
    %x: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
    // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
    %w: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>}) -> tensor<4x4xf32> {
  // expected-error @+1 {{'moe.linear' op cannot mix I and V on axis tp of @mesh[dense]: operand #0 (%arg0) is I, operand #1 (%arg1) is V; convert the I operand explicitly (spmd.convert I -> R, whose backward all-reduces the gradient, or I -> V), or produce the other operand as I}}
  %y = moe.linear %x, %w : tensor<4x8xf32>, tensor<8x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// I + V without a convert: a residual sum of an invariant stream and a
// varying one.
func.func @negative_invariant_plus_varying(
    // expected-note @+1 {{type I on axis tp of @mesh[dense] comes from here}}
    %i: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = I}>},
    // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
    %v: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<4xf32> {
  // expected-error @+1 {{cannot mix I and V on axis tp of @mesh[dense]: operand #1 (%arg0) is I, operand #0 (%arg1) is V}}
  %s = moe.add %v, %i : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// I with R: the R operand's consumers may differ per rank, the I one's may
// not; the gradient flowing into the I operand would be a pending sum.
func.func @negative_invariant_times_replicate(
    // expected-note @+1 {{type I on axis tp of @mesh[dense] comes from here}}
    %i: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = I}>},
    // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
    %r: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'arith.mulf' op cannot mix I and R on axis tp of @mesh[dense]: operand #0 (%arg0) is I, operand #1 (%arg1) is R}}
  %s = arith.mulf %i, %r : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// I with P: the partial operand has to be reduced first.
func.func @negative_invariant_with_partial(
    // expected-note @+1 {{type I on axis tp of @mesh[dense] comes from here}}
    %i: tensor<4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = I}>},
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %p: tensor<4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>}) -> tensor<4x4xf32> {
  // expected-error @+1 {{cannot mix I and P on axis tp of @mesh[dense]: operand #1 (%arg0) is I, operand #0 (%arg1) is P; reduce the P operand first (spmd.all_reduce P -> I)}}
  %y = moe.linear %p, %i : tensor<4x4xf32>, tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}
