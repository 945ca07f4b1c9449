// RUN: moefold-opt %s --moe-propagate-placements | FileCheck %s
// RUN: moefold-opt %s --moe-propagate-placements="print-decisions" -o /dev/null | FileCheck %s --check-prefix=NEEDS

// moe.global_norm of sharded gradients: every element of every operand is
// summed (squared), so an operand sharded over an axis leaves the squared
// norm a pending sum over that axis, never over axes where it is R (each
// logical element is counted once). Pending sums among the operands are
// resolved first (squares are not linear). The arguments stand for
// gradients and carry explicit placements.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A tp-sharded gradient next to a replicated one: P(sum) over tp only.
// CHECK-LABEL: func.func @propagate_placements_global_norm_tp(
func.func @propagate_placements_global_norm_tp(
    %g1: tensor<4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(1)}>},
    %g2: tensor<8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {}>})
    -> (tensor<f32>, tensor<f32>) {
  // CHECK: %[[NORM:.*]] = moe.global_norm {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = P(sum)}>]}
  %norm = moe.global_norm %g1, %g2 : tensor<4x8xf32>, tensor<8xf32>
  // clip_scale needs the norm itself: R.
  // CHECK: moe.clip_scale %[[NORM]] max_norm = 1.000000e+00 {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = R}>, #spmd.placement<@mesh[dense] {dp = R, tp = R}>]}
  %scale, %apply = moe.clip_scale %norm max_norm = 1.0
  return %norm, %scale : tensor<f32>, tensor<f32>
}

// A gradient still pending over dp is all-reduced before it is squared: the
// norm is not partial over dp.
// CHECK-LABEL: func.func @propagate_placements_global_norm_pending(
func.func @propagate_placements_global_norm_pending(
    %g1: tensor<4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = P(sum), tp = S(0)}>})
    -> tensor<f32> {
  // CHECK: moe.global_norm {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = P(sum)}>]}
  %norm = moe.global_norm %g1 : tensor<4x8xf32>
  return %norm : tensor<f32>
}

// Two gradients sharded on different dims over the same axis do not share a
// factor: both keep their sharding.
// CHECK-LABEL: func.func @propagate_placements_global_norm_two_dims(
func.func @propagate_placements_global_norm_two_dims(
    %g1: tensor<4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(0)}>},
    %g2: tensor<4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(1)}>})
    -> tensor<f32> {
  // CHECK: moe.global_norm {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = P(sum)}>]}
  %norm = moe.global_norm %g1, %g2 : tensor<4x8xf32>, tensor<4x8xf32>
  return %norm : tensor<f32>
}

// An expert gradient sharded over ep (expert view): the ep groups cross the
// dense axes, so the squared norm is a pending sum over the whole world,
// which the dense view writes as P(sum) on dp and tp (contributions that are
// R on an axis count on one rank of it).
// CHECK-LABEL: func.func @propagate_placements_global_norm_expert(
func.func @propagate_placements_global_norm_expert(
    %g1: tensor<4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(1)}>},
    %g2: tensor<8x4x4xf32> {spmd.placement = #spmd.placement<@mesh[expert] {ep = S(0)}>})
    -> tensor<f32> {
  // CHECK: moe.global_norm {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = P(sum), tp = P(sum)}>]}
  %norm = moe.global_norm %g1, %g2 : tensor<4x8xf32>, tensor<8x4x4xf32>
  return %norm : tensor<f32>
}

// The operands keep their own views and shardings; only pending sums are
// resolved.
// NEEDS-LABEL: decisions of @propagate_placements_global_norm_pending
// NEEDS: moe.global_norm ([g0_0, g0_1]) -> ([]@dense sum(g0_0, g0_1) cross-view) {g0_0=4 reduction, g0_1=8 reduction}
// NEEDS-NEXT: needs: dense[dp=R, tp=S(0)]
// NEEDS-LABEL: decisions of @propagate_placements_global_norm_expert
// NEEDS: moe.global_norm
// NEEDS-NEXT: needs: dense[dp=R, tp=S(1)] expert[edp=R, ep=S(0), etp=R]
// NEEDS-NEXT: gives: dense[dp=P(sum), tp=P(sum)]
