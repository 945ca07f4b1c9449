// RUN: moefold-opt %s --moe-propagate-placements | FileCheck %s
// RUN: moefold-opt %s --moe-propagate-placements="print-decisions" -o /dev/null | FileCheck %s --check-prefix=NEEDS

// Pending sums (P) flow through the operands an op is linear in: every
// operand of one of the rule's linear groups must be P on the axis (no
// factor sharded there); the group's results are then P. Otherwise the P
// operands are needed R and the results are R. The arguments carry explicit
// placements (pending sums do not arise from seeding).

spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
moe.param @w : tensor<8x8xf32> family = dense
moe.param @norm : tensor<8xf32> family = norm

// CHECK-LABEL: func.func @propagate_placements_partial(
func.func @propagate_placements_partial(
    %a: tensor<2x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = P(sum)}>},
    %b: tensor<2x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = P(sum)}>},
    %r: tensor<2x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {}>})
    -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xf32>) {
  %w = moe.get_param @w : tensor<8x8xf32>
  %n = moe.get_param @norm : tensor<8xf32>
  // P + P: a sum of pending sums.
  // CHECK: %[[S:.*]] = moe.add %{{.*}}, %{{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = P(sum)}>]}
  %s = moe.add %a, %b : tensor<2x8xf32>
  // P + R: the replicated operand would be counted twice; the pending sum is
  // resolved instead.
  // CHECK: moe.add %[[S]], %{{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = R}>]}
  %t = moe.add %s, %r : tensor<2x8xf32>
  // linear is linear in x for a fixed (replicated) weight.
  // CHECK: moe.linear %[[S]], %{{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = P(sum)}>]}
  %y = moe.linear %s, %w : tensor<2x8xf32>, tensor<8x8xf32>
  // swiglu is linear in `up`, not in `gate`.
  // CHECK: moe.swiglu %{{.*}}, %[[S]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = P(sum)}>]}
  %u = moe.swiglu %r, %s : tensor<2x8xf32>
  // CHECK: moe.swiglu %[[S]], %{{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = R}>]}
  %g = moe.swiglu %s, %r : tensor<2x8xf32>
  // rms_norm_grad is linear in the output gradient: dx and dw stay pending.
  // CHECK: moe.rms_norm_grad %{{.*}}, %{{.*}}, %[[S]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = P(sum)}>, #spmd.placement<@mesh[dense] {dp = R, tp = P(sum)}>]}
  %dx, %dw = moe.rms_norm_grad %r, %n, %s : tensor<2x8xf32>, tensor<8xf32>
  return %t, %y, %u, %g, %dx, %dw : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xf32>
}

// NEEDS-LABEL: decisions of @propagate_placements_partial
// NEEDS: moe.add
// NEEDS-NEXT: needs: dense[dp=R, tp=P(sum)] dense[dp=R, tp=P(sum)]
// NEEDS-NEXT: gives: dense[dp=R, tp=P(sum)]
// NEEDS: moe.add
// NEEDS-NEXT: needs: dense[dp=R, tp=R] dense[dp=R, tp=R]
// NEEDS-NEXT: gives: dense[dp=R, tp=R]
// NEEDS: moe.linear
// NEEDS-NEXT: needs: dense[dp=R, tp=P(sum)] dense[dp=R, tp=R]
// NEEDS: moe.swiglu
// NEEDS-NEXT: needs: dense[dp=R, tp=R] dense[dp=R, tp=P(sum)]
// NEEDS: moe.swiglu
// NEEDS-NEXT: needs: dense[dp=R, tp=R] dense[dp=R, tp=R]
// NEEDS: moe.rms_norm_grad
// NEEDS-NEXT: needs: dense[dp=R, tp=R] dense[dp=R, tp=R] dense[dp=R, tp=P(sum)]
