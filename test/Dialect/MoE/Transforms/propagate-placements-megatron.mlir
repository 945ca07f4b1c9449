// RUN: moefold-opt %s --moe-propagate-placements | FileCheck %s
// RUN: moefold-opt %s --moe-propagate-placements="print-decisions" -o /dev/null | FileCheck %s --check-prefix=NEEDS

// The Megatron MLP: column-parallel projections (S(1) over tp) shard the FFN
// width of the activations; the row-parallel projection (S(0) over tp)
// contracts over that width, so its output is a pending sum over tp.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
moe.param @w_gate : tensor<8x16xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
moe.param @w_up : tensor<8x16xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
moe.param @w_down : tensor<16x8xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(0)}>

// CHECK-LABEL: func.func @propagate_placements_megatron(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4x2x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = R}>}
func.func @propagate_placements_megatron(%x: tensor<4x2x8xf32>, %targets: tensor<4x2xi32>) -> (tensor<f32> {moe.loss}) {
  // CHECK: %[[WG:.*]] = moe.get_param @w_gate {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>]}
  %wg = moe.get_param @w_gate : tensor<8x16xf32>
  %wu = moe.get_param @w_up : tensor<8x16xf32>
  // CHECK: %[[WD:.*]] = moe.get_param @w_down {spmd.placements = [#spmd.placement<@mesh[dense] {dp = R, tp = S(0)}>]}
  %wd = moe.get_param @w_down : tensor<16x8xf32>
  // Column-parallel: the output features follow the weight's S(1).
  // CHECK: %[[G:.*]] = moe.linear %[[X]], %[[WG]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>]}
  %g = moe.linear %x, %wg : tensor<4x2x8xf32>, tensor<8x16xf32>
  // CHECK: %[[U:.*]] = moe.linear %[[X]], %{{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>]}
  %u = moe.linear %x, %wu : tensor<4x2x8xf32>, tensor<8x16xf32>
  // Elementwise: the sharding passes through.
  // CHECK: %[[A:.*]] = moe.swiglu %[[G]], %[[U]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>]}
  %a = moe.swiglu %g, %u : tensor<4x2x16xf32>
  // Row-parallel: the contracted dim is sharded, the output is P(sum).
  // CHECK: %[[Y:.*]] = moe.linear %[[A]], %[[WD]] {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = P(sum)}>]}
  %y = moe.linear %a, %wd : tensor<4x2x16xf32>, tensor<16x8xf32>
  // A pending sum into a non-linear op is not a conflict: the consumer
  // needs it R (the partitioner all-reduces) and its result is R on tp.
  // CHECK: moe.cross_entropy %[[Y]], %{{.*}} {spmd.placements = [#spmd.placement<@mesh[dense] {dp = P(sum), tp = R}>]}
  %ce = moe.cross_entropy %y, %targets : tensor<4x2x8xf32>, tensor<4x2xi32>
  return %ce : tensor<f32>
}

// NEEDS-LABEL: decisions of @propagate_placements_megatron
// The column-parallel linear needs the input replicated on tp and the
// weight as declared.
// NEEDS: moe.linear ([b, s, k], [k, n]) -> ([b, s, n] sum(k)) {b=4 parallel, s=2 parallel, k=8 reduction, n=16 parallel} linear{0}->{0} linear{1}->{0}
// NEEDS-NEXT: needs: dense[dp=S(0), tp=R] dense[dp=R, tp=S(1)]
// NEEDS-NEXT: gives: dense[dp=S(0), tp=S(2)]
// NEEDS: moe.swiglu
// The row-parallel one takes both operands as they are.
// NEEDS: moe.linear ([b, s, k], [k, n]) -> ([b, s, n] sum(k)) {b=4 parallel, s=2 parallel, k=16 reduction, n=8 parallel} linear{0}->{0} linear{1}->{0}
// NEEDS-NEXT: needs: dense[dp=S(0), tp=S(2)] dense[dp=R, tp=S(0)]
// NEEDS-NEXT: gives: dense[dp=S(0), tp=P(sum)]
// The logits are a pending sum over tp: they are needed whole (R) there.
// The vocabulary is an ordinary factor; the loss does not depend on its
// split (vocab-parallel cross-entropy), so it is not summed over it.
// NEEDS: moe.cross_entropy ([b, s, v], [b, s]) -> ([] sum(b, s)) {b=4 reduction, s=2 reduction, v=8 reduction}
// NEEDS-NEXT: needs: dense[dp=S(0), tp=R] dense[dp=S(0), tp=R]
// NEEDS-NEXT: gives: dense[dp=P(sum), tp=R]
