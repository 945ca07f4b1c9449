// RUN: moefold-opt %s --moe-autodiff --moe-propagate-placements | FileCheck %s
// RUN: moefold-opt %s --moe-autodiff --moe-propagate-placements="print-decisions" -o /dev/null | FileCheck %s --check-prefix=NEEDS

// The backward of the Megatron MLP through moe.linear_grad: the batch is a
// reduction for dw (P(sum) over dp), the contracted width of the
// row-parallel weight keeps dx sharded, and N is a reduction for dx of a
// column-parallel weight (P(sum) over tp: the gradient of the replicated
// input is still to be summed over the tensor-parallel ranks).

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
moe.param @w_gate : tensor<8x16xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
moe.param @w_up : tensor<8x16xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
moe.param @w_down : tensor<16x8xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(0)}>
func.func @propagate_placements_linear_grad(%x: tensor<4x2x8xf32>, %targets: tensor<4x2xi32>) -> (tensor<f32> {moe.loss}) {
  %wg = moe.get_param @w_gate : tensor<8x16xf32>
  %wu = moe.get_param @w_up : tensor<8x16xf32>
  %wd = moe.get_param @w_down : tensor<16x8xf32>
  %g = moe.linear %x, %wg : tensor<4x2x8xf32>, tensor<8x16xf32>
  %u = moe.linear %x, %wu : tensor<4x2x8xf32>, tensor<8x16xf32>
  %a = moe.swiglu %g, %u : tensor<4x2x16xf32>
  %y = moe.linear %a, %wd : tensor<4x2x16xf32>, tensor<16x8xf32>
  %ce = moe.cross_entropy %y, %targets : tensor<4x2x8xf32>, tensor<4x2xi32>
  return %ce : tensor<f32>
}

// CHECK-LABEL: func.func @propagate_placements_linear_grad_grad(
// CHECK: %[[A:.*]] = moe.swiglu
// CHECK: %[[Y:.*]] = moe.linear %[[A]], %[[WD:.*]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = P(sum)}>]}
// CHECK: %[[DY:.*]] = moe.cross_entropy_grad %[[Y]], {{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = R}>]}
// Row-parallel: dx keeps the sharded contracted width; dw is S(0) like the
// weight and a pending sum over the batch.
// CHECK: %[[DA:.*]], %[[DWD:.*]] = moe.linear_grad %[[A]], %[[WD]], %[[DY]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>, #spmd.placement<@mesh[dense] {dp = P(sum), tp = S(0)}>]}
// CHECK: %[[DG:.*]], %[[DU:.*]] = moe.swiglu_grad {{.*}}, %[[DA]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>, #spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>]}
// Column-parallel: dx sums over the sharded output features.
// CHECK: %{{.*}}, %[[DWU:.*]] = moe.linear_grad %{{.*}}, %{{.*}}, %[[DU]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = P(sum)}>, #spmd.placement<@mesh[dense] {dp = P(sum), tp = S(1)}>]}
// CHECK: %{{.*}}, %[[DWG:.*]] = moe.linear_grad %{{.*}}, %{{.*}}, %[[DG]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = P(sum)}>, #spmd.placement<@mesh[dense] {dp = P(sum), tp = S(1)}>]}
// CHECK: return %{{.*}}, %[[DWG]], %[[DWU]], %[[DWD]]

// The row-parallel linear_grad slices the replicated output gradient over
// tp (no communication); the returned gradients are needed R.
// NEEDS-LABEL: decisions of @propagate_placements_linear_grad_grad
// NEEDS: moe.linear_grad ([b, s, k], [k, n], [b, s, n]) -> ([b, s, k] sum(n), [k, n] sum(b, s)) {b=4 parallel, s=2 parallel, k=16 parallel, n=8 parallel} linear{2}->{0, 1} linear{0}->{1} linear{1}->{0}
// NEEDS-NEXT: needs: dense[dp=S(0), tp=S(2)] dense[dp=R, tp=S(0)] dense[dp=S(0), tp=R]
// NEEDS-NEXT: gives: dense[dp=S(0), tp=S(2)] dense[dp=P(sum), tp=S(0)]
// NEEDS: moe.linear_grad ([b, s, k], [k, n], [b, s, n]) -> ([b, s, k] sum(n), [k, n] sum(b, s)) {b=4 parallel, s=2 parallel, k=8 parallel, n=16 parallel} linear{2}->{0, 1} linear{0}->{1} linear{1}->{0}
// NEEDS-NEXT: needs: dense[dp=S(0), tp=R] dense[dp=R, tp=S(1)] dense[dp=S(0), tp=S(2)]
// NEEDS-NEXT: gives: dense[dp=S(0), tp=P(sum)] dense[dp=P(sum), tp=S(1)]
// NEEDS: func.return
// NEEDS-NEXT: needs: dense[dp=R, tp=R] dense[dp=R, tp=R] dense[dp=R, tp=R] dense[dp=R, tp=R]
