// RUN: moefold-opt %s --moe-autodiff --moe-build-train-step="optimizer=sgd" --moe-propagate-placements | FileCheck %s
// RUN: moefold-opt %s --moe-autodiff --moe-build-train-step="optimizer=sgd" --moe-propagate-placements="print-decisions" -o /dev/null | FileCheck %s --check-prefix=NEEDS

// Data parallelism only (dp = 4, tp = 1): the batch S(0) over dp flows
// through the forward and the backward; the loss and every weight gradient
// are pending sums over dp, and the optimizer needs the gradients R, so the
// DP gradient all-reduce is derived, not special-cased. Axes of size 1 are R.

spmd.mesh @mesh world = 4 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
moe.param @w : tensor<4x4xf32> family = dense
moe.param @norm : tensor<4xf32> family = norm

func.func @propagate_placements_dp(%x: tensor<8x2x4xf32>, %targets: tensor<8x2xi32>) -> (tensor<f32> {moe.loss}) {
  %n = moe.get_param @norm : tensor<4xf32>
  %h = moe.rms_norm %x, %n : tensor<8x2x4xf32>, tensor<4xf32>
  %w = moe.get_param @w : tensor<4x4xf32>
  %l = moe.linear %h, %w : tensor<8x2x4xf32>, tensor<4x4xf32>
  %ce = moe.cross_entropy %l, %targets : tensor<8x2x4xf32>, tensor<8x2xi32>
  return %ce : tensor<f32>
}

// The forward function and its gradient function are step functions too.
// CHECK-LABEL: func.func @propagate_placements_dp(
// CHECK-SAME: {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = R}>}
// CHECK: moe.cross_entropy {{.*}}{spmd.placements = [#spmd.placement<@mesh[dense] {dp = P(sum), tp = R}>]}
// CHECK-LABEL: func.func @propagate_placements_dp_grad(

// Token-like arguments and other batch-major arguments: S(0) over dp; the
// learning rate and the step are 0-d, hence R.
// CHECK-LABEL: func.func @moefold_train_step(
// CHECK-SAME: %[[X:[^:]*]]: tensor<8x2x4xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = R}>}
// CHECK-SAME: %[[T:[^:]*]]: tensor<8x2xi32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = R}>}
// CHECK-SAME: %[[LR:[^:]*]]: tensor<f32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = R, tp = R}>}
// CHECK-SAME: %[[STEP:[^:]*]]: tensor<f32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = R, tp = R}>}

// Parameters are read with their declared placement (none: R).
// CHECK: %[[N:.*]] = moe.get_param @norm {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = R}>]}
// CHECK: %[[H:.*]] = moe.rms_norm %[[X]], %[[N]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>]}
// CHECK: %[[W:.*]] = moe.get_param @w {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = R}>]}
// CHECK: %[[L:.*]] = moe.linear %[[H]], %[[W]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>]}
// The loss is a sum over the tokens of every rank: P(sum) over dp.
// CHECK: %[[CE:.*]] = moe.cross_entropy %[[L]], %[[T]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = P(sum), tp = R}>]}
// CHECK: %[[SEED:.*]] = moe.fill 1.000000e+00 {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = R}>]}
// CHECK: %[[DL:.*]] = moe.cross_entropy_grad %[[L]], %[[T]], %[[SEED]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>]}
// Weight gradients sum over the batch: P(sum) over dp; activation gradients
// stay S(0).
// CHECK: %[[DX:.*]], %[[DW:.*]] = moe.linear_grad %[[H]], %[[W]], %[[DL]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, #spmd.placement<@mesh[dense] {dp = P(sum), tp = R}>]}
// CHECK: %{{.*}}, %[[DN:.*]] = moe.rms_norm_grad %[[X]], %[[N]], %[[DX]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, #spmd.placement<@mesh[dense] {dp = P(sum), tp = R}>]}
// Writes carry no placements: they have no results.
// CHECK: moe.set_state @grad.w, %[[DW]] : tensor<4x4xf32>
// Nothing is sharded once the gradients are reduced: the norm is R.
// CHECK: %[[NORM:.*]] = moe.global_norm %[[DW]], %[[DN]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = R}>]}
// CHECK: %[[SCALE:.*]], %[[APPLY:.*]] = moe.clip_scale %[[NORM]] max_norm = 1.000000e+00 {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = R}>, #spmd.placement<@mesh[dense] {dp = R, tp = R}>]}
// CHECK: %[[W2:.*]] = moe.get_param @w {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = R}>]}
// CHECK: moe.sgd_step %[[W2]], %[[DW]], %[[SCALE]], %[[LR]], %[[APPLY]] {{.*}}{spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = R}>]}
// CHECK: return %[[CE]], %[[NORM]], %[[APPLY]]

// What moe-partition reads back: the optimizer needs the P(sum) gradient R
// (the DP all-reduce), the norm needs its operands R, and the function
// returns replicated values (the loss is all-reduced before it is returned).
// NEEDS-LABEL: decisions of @moefold_train_step
// NEEDS: moe.global_norm ([g0_0, g0_1], [g1_0]) -> ([]@dense sum(g0_0, g0_1, g1_0) cross-view) {g0_0=4 reduction, g0_1=4 reduction, g1_0=4 reduction}
// NEEDS-NEXT: needs: dense[dp=R, tp=R] dense[dp=R, tp=R]
// NEEDS-NEXT: gives: dense[dp=R, tp=R]
// NEEDS: moe.sgd_step ([d0, d1], [d0, d1], [], [], []) -> ([d0, d1]) {d0=4 parallel, d1=4 parallel}
// NEEDS-NEXT: needs: dense[dp=R, tp=R] dense[dp=R, tp=R] dense[dp=R, tp=R] dense[dp=R, tp=R] dense[dp=R, tp=R]
// NEEDS: func.return ([], [], []) -> ()
// NEEDS-NEXT: needs: dense[dp=R, tp=R] dense[dp=R, tp=R] dense[dp=R, tp=R]
