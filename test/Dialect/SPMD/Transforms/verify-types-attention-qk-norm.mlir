// RUN: moefold-opt %s --spmd-verify-types | FileCheck %s

// moe.attention_grad with q/k norm weights on heads split over tp: dq, dk,
// dv are this rank's heads (V); dq_norm and dk_norm, sums over the heads,
// are pending sums that one all-reduce makes whole (R), as moe-partition
// writes it. The replicated weights may then be updated with them.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// CHECK-LABEL: func.func @qk_norm_grad_reduced
// CHECK: moe.attention_grad
// CHECK: spmd.all_reduce
func.func @qk_norm_grad_reduced(
    %q: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %k: tensor<2x4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %v: tensor<2x4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %dout: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %qn: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    %kn: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>})
    -> (tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
        tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) {
  %dq, %dk, %dv, %dn:2 = moe.attention_grad %q, %k, %v, %dout qk_norm %qn, %kn num_heads = 2 num_kv_heads = 1 causal : tensor<2x4x8xf32>, tensor<2x4x4xf32>, tensor<2x4x4xf32>, tensor<4xf32>, tensor<4xf32>
  %r = spmd.all_reduce %dn#0 over @mesh[dense] [tp] (V -> R) : tensor<4xf32>
  %s = moe.add %qn, %r : tensor<4xf32>
  return %dq, %s : tensor<2x4x8xf32>, tensor<4xf32>
}
