// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// Seed torchtitan-2416 (shared/seeds/torchtitan-2416-router-partial-grad.txt)
// in the other order: scores applied before the experts (torchtitan
// `score_before_experts=True`, Llama-4). The bug is the same: the router
// runs replicated over TP (its outputs are I: their gradient is promised
// complete per lane), the experts run token-partitioned, each lane scales
// and dispatches 1/tp of the tokens with 1/tp of top_scores. The score
// gradient (moe.dispatch_grad's d_scores here, not the combine's) is then
// only this lane's part, and without a tp reduction before moe.router_grad
// the router weights diverge across TP ranks. The fix is again spmd.convert
// I -> R, whose backward is that all-reduce over tp.
// The types catch every form of the dropped reduction: split as if R (the
// convert's operand check, variant 1); sliced locally, the I scores scale V
// tokens in moe.dispatch (variant 2); or left I next to R tokens (variant
// 3), which only the dispatch's typing rule, bilinear in (x, scores), sees.
// Each diagnostic names the value, the axis and the types.

// world 4 = dp2 x tp2 = edp2 x ep2 (TP2EP: the ep groups are the tp groups).
spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]

// Variant 1: the scores split by the token-partition convert as if R.
func.func @negative_torchtitan_2416_score_first_split_as_replicate(
    // expected-note @+1 {{type I on axis tp of @mesh[dense] comes from here}}
    %h: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
    %gate: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = I}>},
    %sizes: tensor<2xi32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = V}>},
    %w_gate: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_up: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_down: tensor<2x16x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %send: tensor<2xi64>, %recv: tensor<2xi64>)
    -> (tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>}) {
  %scores, %idx, %probs = moe.router %h, %gate scoring = sigmoid top_k = 2 : tensor<2x4x8xf32>, tensor<8x4xf32>
  %h_part = spmd.convert %h over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x8xf32> -> tensor<1x4x8xf32>
  %idx_part = spmd.convert %idx over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x2xi32> -> tensor<1x4x2xi32>
  // expected-error @+1 {{'spmd.convert' op operand %scores is typed I on axis tp of @mesh[dense], but the op expects src R (an I value's gradient is complete on every rank; spmd.convert I -> R first adds the backward all-reduce its gradient now needs)}}
  %s_part = spmd.convert %scores over @mesh[dense] [tp] (R -> V) dim 0 : tensor<2x4x2xf32> -> tensor<1x4x2xf32>
  %sorted, %counts = moe.dispatch %h_part, %idx_part scores %s_part num_experts = 4 : tensor<1x4x8xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  %sent = spmd.all_to_all %sorted, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %rows = tensor.cast %sent : tensor<?x8xf32> to tensor<8x8xf32>
  %out = moe.experts %rows, %sizes, %w_gate, %w_up, %w_down : tensor<8x8xf32>, tensor<2xi32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x16x8xf32>
  %back = spmd.all_to_all %out, %recv, %send over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %back_rows = tensor.cast %back : tensor<?x8xf32> to tensor<8x8xf32>
  %y_part = moe.combine %back_rows, %idx_part : tensor<8x8xf32>, tensor<1x4x2xi32>
  %y = spmd.all_gather %y_part over @mesh[dense] [tp] (V -> I) dim 0 : tensor<1x4x8xf32> -> tensor<2x4x8xf32>
  %res = moe.add %h, %y : tensor<2x4x8xf32>
  return %res : tensor<2x4x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]

// Variant 2: the scores cut to this lane's tokens by a plain local slice
// (still I) scale the lane's V tokens in the dispatch.
func.func @negative_torchtitan_2416_score_first_sliced_locally(
    // expected-note @+1 {{type I on axis tp of @mesh[dense] comes from here}}
    %h: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
    %gate: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = I}>},
    %sizes: tensor<2xi32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = V}>},
    %w_gate: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_up: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_down: tensor<2x16x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %send: tensor<2xi64>, %recv: tensor<2xi64>)
    -> (tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>}) {
  %scores, %idx, %probs = moe.router %h, %gate scoring = sigmoid top_k = 2 : tensor<2x4x8xf32>, tensor<8x4xf32>
  // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
  %h_part = spmd.convert %h over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x8xf32> -> tensor<1x4x8xf32>
  %idx_part = spmd.convert %idx over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x2xi32> -> tensor<1x4x2xi32>
  %s_part = tensor.extract_slice %scores[0, 0, 0] [1, 4, 2] [1, 1, 1] : tensor<2x4x2xf32> to tensor<1x4x2xf32>
  // expected-error @+1 {{'moe.dispatch' op cannot mix I and V on axis tp of @mesh[dense]: operand #2 (%extracted_slice) is I, operand #0 (%0) is V; convert the I operand explicitly (spmd.convert I -> R, whose backward all-reduces the gradient, or I -> V), or produce the other operand as I}}
  %sorted, %counts = moe.dispatch %h_part, %idx_part scores %s_part num_experts = 4 : tensor<1x4x8xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  %sent = spmd.all_to_all %sorted, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %rows = tensor.cast %sent : tensor<?x8xf32> to tensor<8x8xf32>
  %out = moe.experts %rows, %sizes, %w_gate, %w_up, %w_down : tensor<8x8xf32>, tensor<2xi32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x16x8xf32>
  %back = spmd.all_to_all %out, %recv, %send over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %back_rows = tensor.cast %back : tensor<?x8xf32> to tensor<8x8xf32>
  %y_part = moe.combine %back_rows, %idx_part : tensor<8x8xf32>, tensor<1x4x2xi32>
  %y = spmd.all_gather %y_part over @mesh[dense] [tp] (V -> I) dim 0 : tensor<1x4x8xf32> -> tensor<2x4x8xf32>
  %res = moe.add %h, %y : tensor<2x4x8xf32>
  return %res : tensor<2x4x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]

// Variant 3 (no token partition): the scaled rows feed tensor-parallel
// consumers, so the tokens are converted I -> R (their gradient arrives
// tp-partial and is all-reduced), but the scores are left I. Their gradient
// <dsorted, x> is then tp-partial too and would reach the router unreduced.
// Only the dispatch's bilinear rule sees it: were the scores not a factor of
// the rows (the plain dispatch's rule), this op would type-check.
func.func @negative_torchtitan_2416_score_first_tokens_only_converted(
    // expected-note @+1 {{type I on axis tp of @mesh[dense] comes from here}}
    %h: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
    %gate: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = I}>})
    -> (tensor<16x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>}) {
  %scores, %idx, %probs = moe.router %h, %gate scoring = sigmoid top_k = 2 : tensor<2x4x8xf32>, tensor<8x4xf32>
  // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
  %h_whole = spmd.convert %h over @mesh[dense] [tp] (I -> R) : tensor<2x4x8xf32> -> tensor<2x4x8xf32>
  // expected-error @+1 {{'moe.dispatch' op cannot mix I and R on axis tp of @mesh[dense]: operand #2 (%scores) is I, operand #0 (%0) is R; convert the I operand explicitly (spmd.convert I -> R, whose backward all-reduces the gradient, or I -> V), or produce the other operand as I}}
  %sorted, %counts = moe.dispatch %h_whole, %idx scores %scores num_experts = 4 : tensor<2x4x8xf32>, tensor<2x4x2xi32>, tensor<2x4x2xf32>
  return %sorted : tensor<16x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]

// The fix: the scores converted I -> R before the split, so the backward of
// that convert all-reduces the partial score gradient over tp.
func.func @torchtitan_2416_score_first_fixed(
    %h: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
    %gate: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = I}>},
    %sizes: tensor<2xi32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = V}>},
    %w_gate: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_up: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_down: tensor<2x16x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %send: tensor<2xi64>, %recv: tensor<2xi64>)
    -> (tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>}) {
  %scores, %idx, %probs = moe.router %h, %gate scoring = sigmoid top_k = 2 : tensor<2x4x8xf32>, tensor<8x4xf32>
  %h_part = spmd.convert %h over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x8xf32> -> tensor<1x4x8xf32>
  %idx_part = spmd.convert %idx over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x2xi32> -> tensor<1x4x2xi32>
  %s_full = spmd.convert %scores over @mesh[dense] [tp] (I -> R) : tensor<2x4x2xf32> -> tensor<2x4x2xf32>
  %s_part = spmd.convert %s_full over @mesh[dense] [tp] (R -> V) dim 0 : tensor<2x4x2xf32> -> tensor<1x4x2xf32>
  %sorted, %counts = moe.dispatch %h_part, %idx_part scores %s_part num_experts = 4 : tensor<1x4x8xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  %sent = spmd.all_to_all %sorted, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %rows = tensor.cast %sent : tensor<?x8xf32> to tensor<8x8xf32>
  %out = moe.experts %rows, %sizes, %w_gate, %w_up, %w_down : tensor<8x8xf32>, tensor<2xi32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x16x8xf32>
  %back = spmd.all_to_all %out, %recv, %send over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %back_rows = tensor.cast %back : tensor<?x8xf32> to tensor<8x8xf32>
  %y_part = moe.combine %back_rows, %idx_part : tensor<8x8xf32>, tensor<1x4x2xi32>
  %y = spmd.all_gather %y_part over @mesh[dense] [tp] (V -> I) dim 0 : tensor<1x4x8xf32> -> tensor<2x4x8xf32>
  %res = moe.add %h, %y : tensor<2x4x8xf32>
  return %res : tensor<2x4x8xf32>
}
