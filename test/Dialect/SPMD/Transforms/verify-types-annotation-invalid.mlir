// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// Explicit types (`spmd.local` on arguments, ops and function results) must
// name a mesh and agree with what the checker infers.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// An annotation is an assertion: a column-parallel output is V, not R.
func.func @negative_annotation_mismatch(
    %x: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
    %w: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<4x4xf32> {
  // expected-error @+1 {{'moe.linear' op result %0 is typed V on axis tp of @mesh[dense], but its spmd.local annotation says R}}
  %y = moe.linear %x, %w {spmd.local = #spmd.local<@mesh[dense] {tp = R}>} : tensor<4x8xf32>, tensor<8x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// An annotation must be #spmd.local (or an array of them).
func.func @negative_annotation_wrong_attr(
    %x: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'arith.constant' annotation: 'spmd.local' must be a #spmd.local attribute or a non-empty array of them}}
  %c = arith.constant {spmd.local = "R"} dense<1.0> : tensor<4xf32>
  return %x : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Two types for one axis.
func.func @negative_annotation_axis_twice(
    %x: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'arith.constant' annotation types axis tp of @mesh[dense] twice}}
  %c = arith.constant {spmd.local = [#spmd.local<@mesh[dense] {tp = R}>, #spmd.local<@mesh[dense] {tp = I}>]} dense<1.0> : tensor<4xf32>
  return %x : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The mesh symbol must exist.
func.func @negative_annotation_unknown_mesh(
    // expected-error @+1 {{argument #0 refers to unknown mesh @nomesh}}
    %x: tensor<4xf32> {spmd.local = #spmd.local<@nomesh[dense] {tp = R}>}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
moe.param @w : tensor<4xf32> family = norm

// ... and be an spmd.mesh.
func.func @negative_annotation_not_a_mesh(
    // expected-error @+1 {{argument #0 refers to @w, which is not a valid spmd.mesh}}
    %x: tensor<4xf32> {spmd.local = #spmd.local<@w[dense] {tp = R}>}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// world 8 = dp4 x tp2 = edp2 x ep4.
spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// An annotation cannot give a single type where the layout says the value
// has several.
func.func @negative_annotation_mixed(
    %w: tensor<4xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'arith.negf' op result %0 cannot be annotated V on axis dp of @mesh[dense]: the groups of dp span edp (R), ep (V) of @mesh[expert], where the value has different types}}
  %n = arith.negf %w {spmd.local = #spmd.local<@mesh[dense] {dp = V}>} : tensor<4xf32>
  return %n : tensor<4xf32>
}
