// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// Function arguments carry global placements (checked against the mesh by
// verifyPlacementUse) and local SPMD types.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @placement_arg_valid
// CHECK-SAME: spmd.placement = #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>
// CHECK-SAME: spmd.placement = #spmd.placement<@mesh[expert] {ep = S(0)}>
// CHECK-SAME: spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = S(0)}>
// CHECK-SAME: spmd.placement = #spmd.placement<@mesh[dense] {tp = P(sum)}>
// Sharded dims divide evenly: 16/2, 8/4, 16/(4*2); partials need no check.
func.func @placement_arg_valid(
    %w: tensor<8x16xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>},
    %e: tensor<8x4x4xf32> {spmd.placement = #spmd.placement<@mesh[expert] {ep = S(0)}>},
    %t: tensor<16x4xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = S(0)}>},
    %p: tensor<3xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = P(sum)}>}) {
  return
}

// CHECK-LABEL: func.func @placement_arg_dynamic
// CHECK-SAME: tensor<?x16xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(0)}>}
// A dynamic sharded dim is checked at run time, not here.
func.func @placement_arg_dynamic(%x: tensor<?x16xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(0)}>}) {
  return
}

// CHECK-LABEL: func.func private @placement_arg_declaration
// CHECK-SAME: spmd.placement = #spmd.placement<@mesh[dense] {tp = S(0)}>
// Declarations have no entry block; the type comes from the signature.
func.func private @placement_arg_declaration(tensor<4xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(0)}>})

// CHECK-LABEL: func.func @local_arg
// CHECK-SAME: spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>
// Per-rank programs type their arguments with local SPMD types.
func.func @local_arg(%x: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>}) {
  return
}
