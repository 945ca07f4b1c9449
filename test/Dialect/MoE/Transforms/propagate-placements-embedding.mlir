// RUN: moefold-opt %s --moe-autodiff --moe-build-train-step --moe-propagate-placements | FileCheck %s
// RUN: moefold-opt %s --moe-autodiff --moe-build-train-step --moe-propagate-placements="print-decisions" -o /dev/null | FileCheck %s --check-prefix=NEEDS

// Vocab-parallel embedding: a table sharded by vocabulary rows (S(0) over
// tp) gives each rank the rows of its own vocabulary slice, zeros elsewhere:
// the output is P(sum) over tp. The table's gradient is a pending sum over
// dp (the batch) and replicated on tp; AdamW needs it in the table's
// placement (all-reduce over dp, local slice on tp), like the moments, which
// follow their parameter.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
moe.param @embed : tensor<16x8xf32> family = embedding placement = #spmd.placement<@mesh[dense] {tp = S(0)}>
moe.param @norm : tensor<8xf32> family = norm

func.func @propagate_placements_embedding(%tokens: tensor<2x4xi32>, %targets: tensor<2x4xi32>) -> (tensor<f32> {moe.loss}) {
  %table = moe.get_param @embed : tensor<16x8xf32>
  %h = moe.embedding %table, %tokens : tensor<16x8xf32>, tensor<2x4xi32>
  %n = moe.get_param @norm : tensor<8xf32>
  %y = moe.rms_norm %h, %n : tensor<2x4x8xf32>, tensor<8xf32>
  %ce = moe.cross_entropy %y, %targets : tensor<2x4x8xf32>, tensor<2x4xi32>
  return %ce : tensor<f32>
}

// CHECK-LABEL: func.func @moefold_train_step(
// CHECK-SAME: %[[TOKENS:[^:]*]]: tensor<2x4xi32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = R}>}
// CHECK: %[[TABLE:.*]] = moe.get_param @embed {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = S(0)}>]}
// CHECK: %[[H:.*]] = moe.embedding %[[TABLE]], %[[TOKENS]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = P(sum)}>]}
// rms_norm is not linear in its input: the pending sum is resolved (R).
// CHECK: moe.rms_norm %[[H]], {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>]}
// CHECK: %[[DH:.*]], %{{.*}} = moe.rms_norm_grad
// CHECK: %[[DTABLE:.*]] = moe.embedding_grad %[[TOKENS]], %[[DH]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = P(sum), tp = R}>]}
// CHECK: %[[M:.*]] = moe.get_state @adam_m.embed {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = S(0)}>]}
// CHECK: %[[V:.*]] = moe.get_state @adam_v.embed {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = S(0)}>]}
// CHECK: moe.adamw_step %{{.*}}, %[[DTABLE]], %[[M]], %[[V]], {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = S(0)}>, #spmd.placement<@mesh[dense] {dp = R, tp = S(0)}>, #spmd.placement<@mesh[dense] {dp = R, tp = S(0)}>]}

// The vocabulary is a reduction factor of the embedding; the optimizer needs
// the gradient all-reduced over dp and sliced to the table's rows on tp, and
// the gradient buffer takes the table's placement too.
// NEEDS-LABEL: decisions of @moefold_train_step
// NEEDS: moe.embedding ([v, h], [b, s]) -> ([b, s, h] sum(v)) {v=16 reduction, h=8 parallel, b=2 parallel, s=4 parallel} linear{0}->{0}
// NEEDS-NEXT: needs: dense[dp=R, tp=S(0)] dense[dp=S(0), tp=R]
// NEEDS-NEXT: gives: dense[dp=S(0), tp=P(sum)]
// NEEDS: moe.embedding_grad ([b, s], [b, s, h]) -> ([v, h] sum(b, s)) {b=2 reduction, s=4 reduction, h=8 parallel, v=16 parallel} linear{1}->{0}
// NEEDS-NEXT: needs: dense[dp=S(0), tp=R] dense[dp=S(0), tp=R]
// NEEDS-NEXT: gives: dense[dp=P(sum), tp=R]
// NEEDS: moe.set_state ([d0, d1]) -> () {d0=16 parallel, d1=8 parallel}
// NEEDS-NEXT: needs: dense[dp=R, tp=S(0)]
// NEEDS: moe.adamw_step ([d0, d1], [d0, d1], [d0, d1], [d0, d1], [], [], [], []) -> ([d0, d1], [d0, d1], [d0, d1]) {d0=16 parallel, d1=8 parallel}
// NEEDS-NEXT: needs: dense[dp=R, tp=S(0)] dense[dp=R, tp=S(0)] dense[dp=R, tp=S(0)] dense[dp=R, tp=S(0)] dense[dp=R, tp=R] dense[dp=R, tp=R] dense[dp=R, tp=R] dense[dp=R, tp=R]
