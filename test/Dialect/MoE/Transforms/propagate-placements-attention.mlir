// RUN: moefold-opt %s --moe-autodiff --moe-propagate-placements | FileCheck %s
// RUN: moefold-opt %s --moe-autodiff --moe-propagate-placements="print-decisions" -o /dev/null | FileCheck %s --check-prefix=NEEDS

// Attention heads over tp: the q/k/v projections are column-parallel, so
// q, k and v are sharded by whole heads (4 query heads, 2 kv heads, tp = 2)
// and so are the attention output and the gradients of q, k, v. The sequence
// dims are replicated-only.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
moe.param @wq : tensor<32x32xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
moe.param @wk : tensor<32x16xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
moe.param @wv : tensor<32x16xf32> family = dense
moe.param @wo : tensor<32x32xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(0)}>

// CHECK-LABEL: func.func @propagate_placements_attention(
func.func @propagate_placements_attention(%x: tensor<2x4x32xf32>, %targets: tensor<2x4xi32>) -> (tensor<f32> {moe.loss}) {
  %wq = moe.get_param @wq : tensor<32x32xf32>
  %wk = moe.get_param @wk : tensor<32x16xf32>
  %wv = moe.get_param @wv : tensor<32x16xf32>
  %wo = moe.get_param @wo : tensor<32x32xf32>
  // CHECK: %[[Q:.*]] = moe.linear {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>]}
  %q = moe.linear %x, %wq : tensor<2x4x32xf32>, tensor<32x32xf32>
  // CHECK: %[[K:.*]] = moe.linear {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>]}
  %k = moe.linear %x, %wk : tensor<2x4x32xf32>, tensor<32x16xf32>
  // A replicated value projection: v is R on tp ...
  // CHECK: %[[V:.*]] = moe.linear {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>]}
  %v = moe.linear %x, %wv : tensor<2x4x32xf32>, tensor<32x16xf32>
  // ... and attention takes q's head sharding (the first sharded operand);
  // v is needed S(2), a local slice of whole kv heads.
  // CHECK: %[[A:.*]] = moe.attention %[[Q]], %[[K]], %[[V]] num_heads = 4 num_kv_heads = 2 causal {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>]}
  %a = moe.attention %q, %k, %v num_heads = 4 num_kv_heads = 2 causal : tensor<2x4x32xf32>, tensor<2x4x16xf32>, tensor<2x4x16xf32>
  // CHECK: moe.linear %[[A]], {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = P(sum)}>]}
  %o = moe.linear %a, %wo : tensor<2x4x32xf32>, tensor<32x32xf32>
  %ce = moe.cross_entropy %o, %targets : tensor<2x4x32xf32>, tensor<2x4xi32>
  return %ce : tensor<f32>
}

// The gradients of q, k and v are sharded by heads like q, k and v.
// CHECK-LABEL: func.func @propagate_placements_attention_grad(
// CHECK: %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = moe.attention_grad {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>, #spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>, #spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>]}
// The replicated value projection: dx sums over the heads of dv (P(sum) on
// tp); dw comes out sharded by heads like dv (the optimizer gathers it).
// CHECK: moe.linear_grad {{.*}}, %[[DV]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = P(sum)}>, #spmd.placement<@mesh[dense] {dp = P(sum), tp = S(1)}>]}

// NEEDS-LABEL: decisions of @propagate_placements_attention
// NEEDS: moe.attention ([b, sq, heads], [b, sk, heads], [b, sk, heads]) -> ([b, sq, heads]) {b=2 parallel, sq=4 replicated-only, sk=4 replicated-only, heads=32 parallel whole(num_heads=4) whole(num_kv_heads=2)} linear{2}->{0}
// NEEDS-NEXT: needs: dense[dp=S(0), tp=S(2)] dense[dp=S(0), tp=S(2)] dense[dp=S(0), tp=S(2)]
// NEEDS-NEXT: gives: dense[dp=S(0), tp=S(2)]
