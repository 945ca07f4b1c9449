// RUN: sed 's/world = 8/world = 4/' %moefold_src/examples/tiny_moe.mlir | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements | FileCheck %s
// RUN: sed 's/world = 8/world = 4/' %moefold_src/examples/tiny_moe.mlir | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements | moefold-opt --verify-roundtrip > /dev/null
// RUN: not moefold-opt %moefold_src/examples/tiny_moe.mlir --moe-autodiff --moe-build-train-step --moe-propagate-placements 2>&1 | FileCheck %s --check-prefix=DP4

// The example model (examples/tiny_moe.mlir) through the whole front of
// the pipeline. Its batch is 2, so it is propagated on world = 4
// (dense dp2 x tp2, expert edp1 x ep4); on the shipped world = 8 (dp = 4)
// the batch cannot be split and the seed is an error.

// DP4: error: cannot shard argument #0 of @train_step over dp = 4: its batch dim 0 of size 2 is not divisible by 4

// CHECK-LABEL: func.func @moefold_train_step(
// CHECK-SAME: %[[TOKENS:[^:]*]]: tensor<2x16xi32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = R}>}
// CHECK-SAME: %[[TARGETS:[^:]*]]: tensor<2x16xi32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = R}>}
// Vocab-parallel embedding.
// CHECK: %[[EMBED:.*]] = moe.get_param @embed {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = S(0)}>]}
// CHECK: %[[H0:.*]] = moe.embedding %[[EMBED]], %[[TOKENS]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = P(sum)}>]}
// CHECK: %[[X0:.*]] = moe.rms_norm %[[H0]], {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>]}
// Attention: heads over tp, the output projection row-parallel.
// CHECK: %[[Q0:.*]] = moe.linear %[[X0]], {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>]}
// CHECK: %[[A0:.*]] = moe.attention %[[Q0]], {{.*}} num_heads = 4 num_kv_heads = 2 causal {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>]}
// CHECK: %[[O0:.*]] = moe.linear %[[A0]], {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = P(sum)}>]}
// Residual of two pending sums.
// CHECK: moe.add %[[H0]], %[[O0]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = P(sum)}>]}
// The MoE block: tokens on the dense view, experts on the expert view.
// CHECK: moe.dispatch {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, #spmd.placement<@mesh[dense] {dp = P(sum), tp = R}>]}
// CHECK: moe.get_param @layers.0.moe.w_gate {spmd.placements = [#spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = R}>]}
// CHECK: moe.experts {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>]}
// The shared expert is a Megatron MLP: P(sum) over tp.
// CHECK: moe.shared_expert {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = P(sum)}>]}
// Head and loss.
// CHECK: %[[HEAD:.*]] = moe.get_param @lm_head
// CHECK: %[[LOGITS:.*]] = moe.linear %{{.*}}, %[[HEAD]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>]}
// CHECK: moe.cross_entropy %[[LOGITS]], %[[TARGETS]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = P(sum), tp = R}>]}
// Backward: the LM head's gradient.
// CHECK: moe.linear_grad {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = P(sum)}>, #spmd.placement<@mesh[dense] {dp = P(sum), tp = S(1)}>]}
// The final norm's weight gradient: pending over dp and tp.
// CHECK: moe.rms_norm_grad {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = P(sum)}>, #spmd.placement<@mesh[dense] {dp = P(sum), tp = P(sum)}>]}
// Expert gradients: sharded over ep like the experts (edp = 1 here).
// CHECK: moe.experts_grad {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, #spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = R}>, #spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = R}>, #spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = R}>]}
// The router's gradient: a sum over the batch.
// CHECK: moe.router_grad {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, #spmd.placement<@mesh[dense] {dp = P(sum), tp = R}>]}
// CHECK: %[[DTABLE:.*]] = moe.embedding_grad %[[TOKENS]], {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = P(sum), tp = R}>]}
// CHECK: %[[NORM:.*]] = moe.global_norm %[[DTABLE]], {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = P(sum), tp = P(sum)}>]}
// CHECK: moe.adamw_step %{{.*}}, %[[DTABLE]], {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = S(0)}>, #spmd.placement<@mesh[dense] {dp = R, tp = S(0)}>, #spmd.placement<@mesh[dense] {dp = R, tp = S(0)}>]}
// CHECK: moe.adamw_step {{.*}} {spmd.placements = [#spmd.placement<@mesh[expert] {edp = R, ep = S(0), etp = R}>,
// CHECK: return %{{.*}}, %[[NORM]], %{{.*}} : tensor<f32>, tensor<f32>, tensor<i1>
