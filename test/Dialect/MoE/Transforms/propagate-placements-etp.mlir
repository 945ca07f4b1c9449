// RUN: moefold-opt %moefold_src/examples/tiny_moe_etp.mlir --moe-autodiff --moe-build-train-step --moe-propagate-placements | FileCheck %s

// Expert tensor parallelism (examples/tiny_moe_etp.mlir, etp = tp = 2):
// propagation takes the experts' F split over etp from their declarations
// and keeps it in their gradients (summed over edp) and their optimizer
// updates.

// CHECK-LABEL: func.func @train_step_grad(
// CHECK: moe.get_param @layers.0.moe.w_gate {spmd.placements = [#spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = S(2)}>]}
// CHECK: moe.get_param @layers.0.moe.w_down {spmd.placements = [#spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = S(1)}>]}
// CHECK: moe.experts_grad {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, #spmd.placement<@mesh[expert] {edp = P(sum), ep = S(0), etp = S(2)}>, #spmd.placement<@mesh[expert] {edp = P(sum), ep = S(0), etp = S(2)}>, #spmd.placement<@mesh[expert] {edp = P(sum), ep = S(0), etp = S(1)}>]}
// CHECK-LABEL: func.func @moefold_train_step(
// CHECK: moe.adamw_step {{.*}} {spmd.placements = [#spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = S(2)}>, #spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = S(2)}>, #spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = S(2)}>]} : tensor<8x64x128xf32>
// CHECK: moe.adamw_step {{.*}} {spmd.placements = [#spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = S(1)}>, #spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = S(1)}>, #spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = S(1)}>]} : tensor<8x128x64xf32>
