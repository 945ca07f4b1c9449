// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// Seed torchtitan-2416 (shared/seeds/torchtitan-2416-router-partial-grad.txt).
// The bug: the MoE input is replicated over TP and the router runs on every
// lane identically (I: its gradient is promised complete per lane). The
// experts then run token-partitioned: each lane keeps 1/tp of the tokens and
// of top_scores. The split's backward zero-pads, so d(top_scores), and with
// it the router weight's gradient, is only partial per lane; but top_scores
// was marked replicated, no backward all-reduce ran, and the router weights
// diverged across TP ranks. The fix (DTensor from_local(Replicate) /
// to_local(grad_placements=Partial)) is spmd.convert I -> R, whose backward
// is that all-reduce.
// The types catch it: the split is `convert R -> V`, but the scores are I,
// not R, so the convert's operand check fails (variant 1); or, split by a
// plain local slice, the I scores meet V expert outputs (variant 2).

// world 4 = dp2 x tp2 = edp2 x ep2 (TP2EP: the ep groups are the tp groups).
spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]

// Variant 1 (ETP = 1 < TP): the scores are split by the token-partition
// convert as if they were R.
func.func @negative_torchtitan_2416_scores_split_as_replicate(
    // expected-note @+1 {{type I on axis tp of @mesh[dense] comes from here}}
    %h: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
    %gate: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = I}>},
    %sizes: tensor<2xi32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = V}>},
    %w_gate: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_up: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_down: tensor<2x16x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %send: tensor<2xi64>, %recv: tensor<2xi64>)
    -> (tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>}) {
  %scores, %idx, %probs = moe.router %h, %gate scoring = softmax top_k = 2 : tensor<2x4x8xf32>, tensor<8x4xf32>
  // Each TP lane keeps half of the tokens (ReordererSequenceParallel).
  %h_part = spmd.convert %h over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x8xf32> -> tensor<1x4x8xf32>
  %idx_part = spmd.convert %idx over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x2xi32> -> tensor<1x4x2xi32>
  // expected-error @+1 {{'spmd.convert' op operand %scores is typed I on axis tp of @mesh[dense], but the op expects src R (an I value's gradient is complete on every rank; spmd.convert I -> R first adds the backward all-reduce its gradient now needs)}}
  %s_part = spmd.convert %scores over @mesh[dense] [tp] (R -> V) dim 0 : tensor<2x4x2xf32> -> tensor<1x4x2xf32>
  %sorted, %counts = moe.dispatch %h_part, %idx_part num_experts = 4 : tensor<1x4x8xf32>, tensor<1x4x2xi32>
  %sent = spmd.all_to_all %sorted, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %rows = tensor.cast %sent : tensor<?x8xf32> to tensor<8x8xf32>
  %out = moe.experts %rows, %sizes, %w_gate, %w_up, %w_down : tensor<8x8xf32>, tensor<2xi32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x16x8xf32>
  %back = spmd.all_to_all %out, %recv, %send over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %back_rows = tensor.cast %back : tensor<?x8xf32> to tensor<8x8xf32>
  %y_part = moe.combine %back_rows, %idx_part, %s_part : tensor<8x8xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  %y = spmd.all_gather %y_part over @mesh[dense] [tp] (V -> I) dim 0 : tensor<1x4x8xf32> -> tensor<2x4x8xf32>
  %res = moe.add %h, %y : tensor<2x4x8xf32>
  return %res : tensor<2x4x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]

// Variant 2: the scores are cut to this lane's tokens with a plain local
// slice, which keeps them I, and weight the token-partitioned expert outputs.
func.func @negative_torchtitan_2416_scores_sliced_locally(
    // expected-note @+1 {{type I on axis tp of @mesh[dense] comes from here}}
    %h: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
    %gate: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = I}>},
    %sizes: tensor<2xi32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = V}>},
    %w_gate: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_up: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_down: tensor<2x16x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %send: tensor<2xi64>, %recv: tensor<2xi64>)
    -> (tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>}) {
  %scores, %idx, %probs = moe.router %h, %gate scoring = softmax top_k = 2 : tensor<2x4x8xf32>, tensor<8x4xf32>
  %h_part = spmd.convert %h over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x8xf32> -> tensor<1x4x8xf32>
  %idx_part = spmd.convert %idx over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x2xi32> -> tensor<1x4x2xi32>
  %s_part = tensor.extract_slice %scores[0, 0, 0] [1, 4, 2] [1, 1, 1] : tensor<2x4x2xf32> to tensor<1x4x2xf32>
  %sorted, %counts = moe.dispatch %h_part, %idx_part num_experts = 4 : tensor<1x4x8xf32>, tensor<1x4x2xi32>
  %sent = spmd.all_to_all %sorted, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %rows = tensor.cast %sent : tensor<?x8xf32> to tensor<8x8xf32>
  %out = moe.experts %rows, %sizes, %w_gate, %w_up, %w_down : tensor<8x8xf32>, tensor<2xi32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x16x8xf32>
  // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
  %back = spmd.all_to_all %out, %recv, %send over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %back_rows = tensor.cast %back : tensor<?x8xf32> to tensor<8x8xf32>
  // expected-error @+1 {{'moe.combine' op cannot mix I and V on axis tp of @mesh[dense]: operand #2 (%extracted_slice) is I, operand #0 (%cast_0) is V; convert the I operand explicitly (spmd.convert I -> R, whose backward all-reduces the gradient, or I -> V), or produce the other operand as I}}
  %y_part = moe.combine %back_rows, %idx_part, %s_part : tensor<8x8xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  %y = spmd.all_gather %y_part over @mesh[dense] [tp] (V -> I) dim 0 : tensor<1x4x8xf32> -> tensor<2x4x8xf32>
  %res = moe.add %h, %y : tensor<2x4x8xf32>
  return %res : tensor<2x4x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]

// The fix: convert the scores I -> R before the split. The backward of that
// convert all-reduces the partial score gradient over tp, so the router
// weight gradient is complete and identical on every lane again.
func.func @torchtitan_2416_fixed(
    %h: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
    %gate: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = I}>},
    %sizes: tensor<2xi32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = V}>},
    %w_gate: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_up: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_down: tensor<2x16x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %send: tensor<2xi64>, %recv: tensor<2xi64>)
    -> (tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>}) {
  %scores, %idx, %probs = moe.router %h, %gate scoring = softmax top_k = 2 : tensor<2x4x8xf32>, tensor<8x4xf32>
  %h_part = spmd.convert %h over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x8xf32> -> tensor<1x4x8xf32>
  %idx_part = spmd.convert %idx over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x2xi32> -> tensor<1x4x2xi32>
  %s_full = spmd.convert %scores over @mesh[dense] [tp] (I -> R) : tensor<2x4x2xf32> -> tensor<2x4x2xf32>
  %s_part = spmd.convert %s_full over @mesh[dense] [tp] (R -> V) dim 0 : tensor<2x4x2xf32> -> tensor<1x4x2xf32>
  %sorted, %counts = moe.dispatch %h_part, %idx_part num_experts = 4 : tensor<1x4x8xf32>, tensor<1x4x2xi32>
  %sent = spmd.all_to_all %sorted, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %rows = tensor.cast %sent : tensor<?x8xf32> to tensor<8x8xf32>
  %out = moe.experts %rows, %sizes, %w_gate, %w_up, %w_down : tensor<8x8xf32>, tensor<2xi32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x16x8xf32>
  %back = spmd.all_to_all %out, %recv, %send over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %back_rows = tensor.cast %back : tensor<?x8xf32> to tensor<8x8xf32>
  %y_part = moe.combine %back_rows, %idx_part, %s_part : tensor<8x8xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  %y = spmd.all_gather %y_part over @mesh[dense] [tp] (V -> I) dim 0 : tensor<1x4x8xf32> -> tensor<2x4x8xf32>
  %res = moe.add %h, %y : tensor<2x4x8xf32>
  return %res : tensor<2x4x8xf32>
}
