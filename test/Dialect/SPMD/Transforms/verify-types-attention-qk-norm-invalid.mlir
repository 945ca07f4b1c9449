// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// moe.attention_grad with q/k norm weights: heads split over tp (q, k, v,
// dout V) make dq_norm and dk_norm, sums over the heads, this rank's share
// of a sum (typed V, pending). Using one as the whole gradient loses the
// all-reduce.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

func.func @negative_qk_norm_grad_unreduced(
    %q: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %k: tensor<2x4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %v: tensor<2x4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %dout: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %qn: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
    %kn: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<4xf32> {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here}}
  %dq, %dk, %dv, %dn:2 = moe.attention_grad %q, %k, %v, %dout qk_norm %qn, %kn num_heads = 2 num_kv_heads = 1 causal : tensor<2x4x8xf32>, tensor<2x4x4xf32>, tensor<2x4x4xf32>, tensor<4xf32>, tensor<4xf32>
  // expected-error @+1 {{'moe.add' op adds operand #1 (%dqk_norm#1), which is V on axis tp of @mesh[dense] but a pending sum (see the note), to operand #0 (%arg5), which is R}}
  %s = moe.add %kn, %dn#1 : tensor<4xf32>
  return %s : tensor<4xf32>
}
