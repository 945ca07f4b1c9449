// RUN: moefold-opt %s -split-input-file --moe-autodiff --moe-build-train-step --moe-propagate-placements | FileCheck %s
// RUN: moefold-opt %s -split-input-file --moe-autodiff --moe-build-train-step --moe-propagate-placements="print-decisions" -o /dev/null | FileCheck %s --check-prefix=NEEDS

// Routed experts with ep > 1: the tokens of dispatch, experts and combine
// stay on the dense view (batch S(0) over dp); the expert weights, their
// gradients, moments and updates are on the expert view (S(0) over ep as
// declared). moe.experts is the view boundary: it needs its weights as
// declared (the folded dispatch exchanges rows over ep). The weight
// gradients sum over token rows spread over the ranks: P(sum) over edp, the
// ranks that hold the same experts.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
moe.param @router : tensor<8x4xf32> family = router
moe.param @w_gate : tensor<4x8x8xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}>
moe.param @w_up : tensor<4x8x8xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}>
moe.param @w_down : tensor<4x8x8xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}>

func.func @propagate_placements_experts(%x: tensor<4x2x8xf32>, %targets: tensor<4x2xi32>) -> (tensor<f32> {moe.loss}) {
  %wr = moe.get_param @router : tensor<8x4xf32>
  %scores, %indices, %probs = moe.router %x, %wr scoring = softmax top_k = 2 : tensor<4x2x8xf32>, tensor<8x4xf32>
  %sorted, %sizes = moe.dispatch %x, %indices num_experts = 4 : tensor<4x2x8xf32>, tensor<4x2x2xi32>
  %wg = moe.get_param @w_gate : tensor<4x8x8xf32>
  %wu = moe.get_param @w_up : tensor<4x8x8xf32>
  %wd = moe.get_param @w_down : tensor<4x8x8xf32>
  %out = moe.experts %sorted, %sizes, %wg, %wu, %wd : tensor<16x8xf32>, tensor<4xi32>, tensor<4x8x8xf32>, tensor<4x8x8xf32>, tensor<4x8x8xf32>
  %y = moe.combine %out, %indices, %scores : tensor<16x8xf32>, tensor<4x2x2xi32>, tensor<4x2x2xf32>
  %ce = moe.cross_entropy %y, %targets : tensor<4x2x8xf32>, tensor<4x2xi32>
  %aux = moe.aux_loss %probs, %indices num_experts = 4 coefficient = 1.0e-02 : tensor<4x2x4xf32>, tensor<4x2x2xi32>
  %loss = moe.add %ce, %aux : tensor<f32>
  return %loss : tensor<f32>
}

// CHECK-LABEL: func.func @moefold_train_step(
// CHECK: %[[SCORES:.*]], %[[INDICES:.*]], %[[PROBS:.*]] = moe.router {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, #spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, #spmd.placement<@mesh[dense] {dp = S(0), tp = R}>]}
// Sorted rows follow the tokens; group sizes count the rank's own rows: a
// pending sum over dp.
// CHECK: %[[SORTED:.*]], %[[SIZES:.*]] = moe.dispatch {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, #spmd.placement<@mesh[dense] {dp = P(sum), tp = R}>]}
// CHECK: %[[WG:.*]] = moe.get_param @w_gate {spmd.placements = [#spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = R}>]}
// CHECK: %[[OUT:.*]] = moe.experts %[[SORTED]], %[[SIZES]], %[[WG]], {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>]}
// CHECK: moe.combine %[[OUT]], %[[INDICES]], %[[SCORES]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>]}
// The load-balancing loss uses global statistics: replicated-only in v1.
// CHECK: moe.aux_loss %[[PROBS]], %[[INDICES]] {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = R}>]}
// CHECK: %[[DSORTED:.*]], %[[DWG:.*]], %[[DWU:.*]], %[[DWD:.*]] = moe.experts_grad {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, #spmd.placement<@mesh[expert] {edp = P(sum), ep = S(0), etp = R}>, #spmd.placement<@mesh[expert] {edp = P(sum), ep = S(0), etp = R}>, #spmd.placement<@mesh[expert] {edp = P(sum), ep = S(0), etp = R}>]}
// The router weight's gradient sums over the batch on the dense view.
// CHECK: moe.router_grad {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, #spmd.placement<@mesh[dense] {dp = P(sum), tp = R}>]}
// Expert gradients are sharded over ep: the squared norm is a pending sum
// over the whole world.
// CHECK: moe.global_norm {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = P(sum), tp = P(sum)}>]}
// The moments follow their parameter; the update stays on the expert view.
// CHECK: %[[M:.*]] = moe.get_state @adam_m.w_gate {spmd.placements = [#spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = R}>]}
// CHECK: moe.adamw_step %{{.*}}, %[[DWG]], %[[M]], {{.*}} {spmd.placements = [#spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = R}>, #spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = R}>, #spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = R}>]}

// NEEDS-LABEL: decisions of @moefold_train_step
// NEEDS: moe.dispatch ([b, s, h], [b, s, k]) -> ([b*s*k, h], [e] sum(b, s, k)) {b=4 parallel, s=2 parallel, h=8 parallel, k=2 parallel, e=4 parallel} linear{0}->{0}
// The group sizes stay pending where the rows are sharded: each rank's
// grouped matmul uses the counts of its own rows.
// NEEDS: moe.experts ([r, h]@dense, [e]@dense{partial over r}, [e, h, f]@expert, [e, h, f]@expert, [e, f, h]@expert) -> ([r, h]@dense sum(f)) {r=16 parallel, h=8 replicated-only, e=4 parallel, f=8 reduction}
// NEEDS-NEXT: needs: dense[dp=S(0), tp=R] dense[dp=P(sum), tp=R] expert[edp=R, ep=S(0), etp=R] expert[edp=R, ep=S(0), etp=R] expert[edp=R, ep=S(0), etp=R]
// NEEDS-NEXT: gives: dense[dp=S(0), tp=R]
// The probabilities are gathered for the aux loss.
// NEEDS: moe.aux_loss
// NEEDS-NEXT: needs: dense[dp=R, tp=R] dense[dp=R, tp=R]
// The gradient buffer and the optimizer need the expert gradients
// all-reduced over edp (the routed-expert reduction group).
// NEEDS: moe.set_state ([d0, d1, d2]) -> ()
// NEEDS-NEXT: needs: expert[edp=R, ep=S(0), etp=R]
// NEEDS: moe.adamw_step ([d0, d1, d2], [d0, d1, d2], [d0, d1, d2], [d0, d1, d2], [], [], [], [])
// NEEDS-NEXT: needs: expert[edp=R, ep=S(0), etp=R] expert[edp=R, ep=S(0), etp=R] expert[edp=R, ep=S(0), etp=R] expert[edp=R, ep=S(0), etp=R] dense[dp=R, tp=R] dense[dp=R, tp=R] dense[dp=R, tp=R] dense[dp=R, tp=R]

// -----

// With ep = 1 the experts are replicated (a placement over ep = 1 is R): the
// expert gradients are pending sums over every rank (edp = world), reduced
// like data-parallel gradients.

spmd.mesh @mesh world = 4 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
moe.param @w_gate : tensor<4x8x8xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}>
moe.param @w_up : tensor<4x8x8xf32> family = routed_expert
moe.param @w_down : tensor<4x8x8xf32> family = routed_expert

func.func @propagate_placements_experts_ep1(%x: tensor<4x2x8xf32>, %indices: tensor<4x2x2xi32>, %scores: tensor<4x2x2xf32>, %targets: tensor<4x2xi32>) -> (tensor<f32> {moe.loss}) {
  %sorted, %sizes = moe.dispatch %x, %indices num_experts = 4 : tensor<4x2x8xf32>, tensor<4x2x2xi32>
  %wg = moe.get_param @w_gate : tensor<4x8x8xf32>
  %wu = moe.get_param @w_up : tensor<4x8x8xf32>
  %wd = moe.get_param @w_down : tensor<4x8x8xf32>
  %out = moe.experts %sorted, %sizes, %wg, %wu, %wd : tensor<16x8xf32>, tensor<4xi32>, tensor<4x8x8xf32>, tensor<4x8x8xf32>, tensor<4x8x8xf32>
  %y = moe.combine %out, %indices, %scores : tensor<16x8xf32>, tensor<4x2x2xi32>, tensor<4x2x2xf32>
  %ce = moe.cross_entropy %y, %targets : tensor<4x2x8xf32>, tensor<4x2xi32>
  return %ce : tensor<f32>
}

// CHECK-LABEL: func.func @moefold_train_step(
// CHECK: moe.get_param @w_gate {spmd.placements = [#spmd.placement<@mesh[expert] {edp = R, ep = R, etp = R}>]}
// CHECK: moe.experts_grad {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, #spmd.placement<@mesh[expert] {edp = P(sum), ep = R, etp = R}>, #spmd.placement<@mesh[expert] {edp = P(sum), ep = R, etp = R}>, #spmd.placement<@mesh[expert] {edp = P(sum), ep = R, etp = R}>]}
