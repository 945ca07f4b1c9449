// RUN: moefold-opt %s --moe-propagate-placements | FileCheck %s
// RUN: moefold-opt %s --moe-propagate-placements="print-decisions" -o /dev/null | FileCheck %s --check-prefix=NEEDS

// Dispatch and combine: the sorted rows are a compound dim (tokens x k,
// tokens major) that follows whichever token factor is sharded; here the
// sequence (S(1) over dp), so combine must keep the sequence sharding rather
// than read its rows as batch blocks. Group sizes count the rank's own rows
// (P(sum) over dp) and do not depend on the hidden dim (R over tp although
// the hidden dim is sharded there).

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// CHECK-LABEL: func.func @propagate_placements_dispatch(
func.func @propagate_placements_dispatch(
    %x: tensor<1x4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(1), tp = S(2)}>},
    %indices: tensor<1x4x2xi32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(1)}>},
    %scores: tensor<1x4x2xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(1)}>}) -> tensor<1x4x8xf32> {
  // CHECK: %[[SORTED:.*]], %{{.*}} = moe.dispatch {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = S(1)}>, #spmd.placement<@mesh[dense] {dp = P(sum), tp = R}>]}
  %sorted, %sizes = moe.dispatch %x, %indices num_experts = 4 : tensor<1x4x8xf32>, tensor<1x4x2xi32>
  // CHECK: moe.combine %[[SORTED]], {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(1), tp = S(2)}>]}
  %y = moe.combine %sorted, %indices, %scores : tensor<8x8xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  return %y : tensor<1x4x8xf32>
}

// Nothing is resharded on the way: the sequence factor s is on dp for every
// operand of combine.
// NEEDS: moe.dispatch ([b, s, h], [b, s, k]) -> ([b*s*k, h], [e] sum(b, s, k)) {b=1 parallel, s=4 parallel, h=8 parallel, k=2 parallel, e=4 parallel} linear{0}->{0}
// NEEDS-NEXT: needs: dense[dp=S(1), tp=S(2)] dense[dp=S(1), tp=R]
// NEEDS: moe.combine ([b*s*k, h], [b, s, k], [b, s, k]) -> ([b, s, h] sum(k)) {b=1 parallel, s=4 parallel, k=2 reduction, h=8 parallel} linear{0}->{0} linear{2}->{0}
// NEEDS-NEXT: needs: dense[dp=S(0), tp=S(1)] dense[dp=S(1), tp=R] dense[dp=S(1), tp=R]
// NEEDS-NEXT: gives: dense[dp=S(1), tp=S(2)]
