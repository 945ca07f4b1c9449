// RUN: moefold-opt %s -split-input-file --spmd-verify-types | FileCheck %s

// A pending sum an op makes itself -- a contraction over operands split on
// an axis: a row-parallel matmul, a weight gradient over this rank's
// tokens, the mean loss over them -- is typed V, as the op computes it, and
// follows the rules of P: it is reduced by a collective with src V, said to
// be P with spmd.reinterpret V -> P, and flows through linear ops.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// CHECK-LABEL: func.func @pending_row_parallel
// A row-parallel matmul, scaled and summed with another pending sum before
// the all-reduce.
func.func @pending_row_parallel(%x: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                %w: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                %w2: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>})
    -> (tensor<2x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) {
  %y = moe.linear %x, %w : tensor<2x4xf32>, tensor<4x8xf32>
  %z = moe.linear %y, %w2 : tensor<2x8xf32>, tensor<8x8xf32>
  %s = moe.add %y, %z : tensor<2x8xf32>
  %r = spmd.all_reduce %s over @mesh[dense] [tp] (V -> R) : tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// CHECK-LABEL: func.func @pending_said_to_be_partial
// Where it meets a pending sum that came in as P, it is reinterpreted.
func.func @pending_said_to_be_partial(%x: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                      %w: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                      %p: tensor<2x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>})
    -> (tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) {
  %y = moe.linear %x, %w : tensor<2x4xf32>, tensor<4x8xf32>
  %yp = spmd.reinterpret %y over @mesh[dense] [tp] (V -> P) : tensor<2x8xf32>
  %s = moe.add %p, %yp : tensor<2x8xf32>
  %r = spmd.reduce_scatter %s over @mesh[dense] [tp] (P -> V) dim 1 : tensor<2x8xf32> -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

// CHECK-LABEL: func.func @pending_weight_gradient
// The weight gradient over this rank's tokens is a share of the sum over
// dp; its column shard over tp is not (x is whole over tp).
func.func @pending_weight_gradient(%x: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
                                   %w: tensor<8x6xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>},
                                   %dout: tensor<2x4x6xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = V}>})
    -> (tensor<8x6xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>}) {
  %dx, %dw = moe.linear_grad %x, %w, %dout : tensor<2x4x8xf32>, tensor<8x6xf32>, tensor<2x4x6xf32>
  %r = spmd.all_reduce %dw over @mesh[dense] [dp] (V -> R) : tensor<8x6xf32>
  return %r : tensor<8x6xf32>
}

// CHECK-LABEL: func.func @pending_megatron_mlp
// A shared expert with its hidden units split over tp: one all-reduce.
func.func @pending_megatron_mlp(%x: tensor<1x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
                                %wg: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                %wu: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                %wd: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>})
    -> (tensor<1x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) {
  %y = moe.shared_expert %x, %wg, %wu, %wd : tensor<1x4x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>
  %r = spmd.all_reduce %y over @mesh[dense] [tp] (V -> R) : tensor<1x4x8xf32>
  return %r : tensor<1x4x8xf32>
}

// CHECK-LABEL: func.func @pending_mean_loss
// The mean loss over this rank's tokens (normalised by the global count) is
// its share of the global loss.
func.func @pending_mean_loss(%logits: tensor<1x4x16xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
                             %targets: tensor<1x4xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>})
    -> (tensor<f32> {moe.loss}) {
  %ce = moe.cross_entropy %logits, %targets : tensor<1x4x16xf32>, tensor<1x4xi32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %share = arith.mulf %ce, %half : tensor<f32>
  %loss = spmd.reinterpret %share over @mesh[dense] [dp] (V -> P) : tensor<f32>
  return %loss : tensor<f32>
}

// -----

spmd.mesh @mesh world = 2 dense = [dp, tp = 1] expert = [edp, ep = 2, etp = 1]

// CHECK-LABEL: func.func @pending_not_for_expert_shards
// Expert weights split by expert over ep: this rank holds every row of its
// experts, so their gradients are shards, not shares of a sum.
func.func @pending_not_for_expert_shards(%sorted: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {ep = V}>},
                                         %sizes: tensor<2xi32> {spmd.local = #spmd.local<@mesh[expert] {ep = V}>},
                                         %wg: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {ep = V}>},
                                         %wu: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {ep = V}>},
                                         %wd: tensor<2x16x8xf32> {spmd.local = #spmd.local<@mesh[expert] {ep = V}>},
                                         %dout: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {ep = V}>})
    -> (tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {ep = V}>},
        tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {ep = V}>}) {
  %out = moe.experts %sorted, %sizes, %wg, %wu, %wd : tensor<8x8xf32>, tensor<2xi32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x16x8xf32>
  %ds, %dwg, %dwu, %dwd = moe.experts_grad %sorted, %sizes, %wg, %wu, %wd, %dout : tensor<8x8xf32>, tensor<2xi32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x16x8xf32>
  return %out, %dwu : tensor<8x8xf32>, tensor<2x8x16xf32>
}
