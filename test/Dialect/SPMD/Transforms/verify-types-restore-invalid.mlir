// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// Restoring token-partitioned values with an all_gather to R whose gradient
// is really I. The transpose of all_gather V -> R is reduce_scatter P -> V:
// it sums the tp lanes' gradients. When the lanes' uses are identical (the
// gradient arriving is I, complete on every lane) that sum is tp times the
// gradient: the tp_size factor of deepspeed-8064. The restore must be
// all_gather V -> I (transpose: keep the local slice).

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The restored MoE output is added to the invariant residual stream.
func.func @negative_restore_into_invariant(
    // expected-note @+1 {{type I on axis tp of @mesh[dense] comes from here}}
    %h: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
    %y: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = V}>}) -> tensor<8x8xf32> {
  // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
  %full = spmd.all_gather %y over @mesh[dense] [tp] (V -> R) dim 0 : tensor<4x8xf32> -> tensor<8x8xf32>
  // expected-error @+1 {{'moe.add' op cannot mix I and R on axis tp of @mesh[dense]: operand #0 (%arg0) is I, operand #1 (%0) is R}}
  %out = moe.add %h, %full : tensor<8x8xf32>
  return %out : tensor<8x8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Everything after the restore computed as R: the loss comes out R over tp
// and each lane seeds the full gradient.
func.func @negative_restore_into_loss(
    %y: tensor<1x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = V}>},
    %head: tensor<8x16xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>},
    %targets: tensor<2x4xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>}) -> (tensor<f32> {moe.loss}) {
  // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
  %full = spmd.all_gather %y over @mesh[dense] [tp] (V -> R) dim 0 : tensor<1x4x8xf32> -> tensor<2x4x8xf32>
  %logits = moe.linear %full, %head : tensor<2x4x8xf32>, tensor<8x16xf32>
  %ce = moe.cross_entropy %logits, %targets : tensor<2x4x16xf32>, tensor<2x4xi32>
  %loss = spmd.reinterpret %ce over @mesh[dense] [dp] (V -> P) : tensor<f32>
  // expected-error @+1 {{loss %3 is typed R on axis tp of @mesh[dense], but a loss must be P or I on every axis: an R loss seeds the same gradient on each of the 2 ranks of tp and their sum makes it 2x too large (the tp-size factor)}}
  return %loss : tensor<f32>
}
