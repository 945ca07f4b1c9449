// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// Seed torchtitan-2416 (shared/seeds/torchtitan-2416-router-partial-grad.txt),
// case 2: ETP = TP. The MoE input is replicated over TP, the router runs on
// every lane alike (R), and each expert is split over etp = tp on its hidden
// units F (w_gate/w_up by columns, w_down by rows): every lane processes the
// same tokens with its F slice, so the expert output is a pending sum over
// etp (the down projection contracts F). With the scores applied after the
// experts, d(top_scores) = <d_out, expert_out> is then a pending sum over tp
// too; torchtitan marked it replicated, ran no backward all-reduce, and the
// router weights diverged across TP ranks. The fix reduces it over tp.
// The types catch it: moe.experts with weights split on etp makes the pending
// sum, and the router weight gradient built from it cannot be used as R.

// world 4 = dp2 x tp2 = edp1 x ep2 x etp2 (the etp groups are the tp groups).
spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 2]

// Scores after the experts: the router weight gradient, reduced over dp
// only, is returned as R.
func.func @negative_torchtitan_2416_etp_router_grad_marked_replicate(
    %h: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %gate: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>},
    %probs: tensor<2x4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %idx: tensor<2x4x2xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %scores: tensor<2x4x2xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %rows: tensor<16x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = R}>},
    %sizes: tensor<2xi32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = R}>},
    %w_gate: tensor<2x8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = V}>},
    %w_up: tensor<2x8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = V}>},
    %w_down: tensor<2x8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = V}>},
    %dout: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %send: tensor<2xi64>, %recv: tensor<2xi64>)
    -> (tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}) {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here: the op contracts operands split on tp}}
  %out = moe.experts %rows, %sizes, %w_gate, %w_up, %w_down : tensor<16x8xf32>, tensor<2xi32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>
  %back = spmd.all_to_all %out, %recv, %send over @mesh[expert] [ep] (V -> V) : tensor<16x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %eo = tensor.cast %back : tensor<?x8xf32> to tensor<16x8xf32>
  %deo, %dscores = moe.combine_grad %eo, %idx, %scores, %dout num_experts = 4 : tensor<16x8xf32>, tensor<2x4x2xi32>, tensor<2x4x2xf32>, tensor<2x4x8xf32>
  %zero = arith.constant dense<0.0> : tensor<2x4x4xf32>
  %dx, %dw = moe.router_grad %h, %gate, %probs, %idx, %dscores, %zero scoring = softmax top_k = 2 : tensor<2x4x8xf32>, tensor<8x4xf32>, tensor<2x4x4xf32>, tensor<2x4x2xi32>, tensor<2x4x2xf32>
  %dw_dp = spmd.all_reduce %dw over @mesh[dense] [dp] (V -> R) : tensor<8x4xf32>
  // expected-error @+1 {{result #0 (%2) is typed V but a pending sum on axis tp of @mesh[dense], but the function declares it R: reduce it first (spmd.all_reduce V -> R)}}
  return %dw_dp : tensor<8x4xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 2]

// The same gradient handed to the optimizer as if complete.
func.func @negative_torchtitan_2416_etp_router_grad_to_optimizer(
    %h: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %gate: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>},
    %probs: tensor<2x4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %idx: tensor<2x4x2xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %scores: tensor<2x4x2xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %rows: tensor<16x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = R}>},
    %sizes: tensor<2xi32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = R}>},
    %w_gate: tensor<2x8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = V}>},
    %w_up: tensor<2x8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = V}>},
    %w_down: tensor<2x8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = V}>},
    %dout: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %send: tensor<2xi64>, %recv: tensor<2xi64>,
    %lr: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>},
    %apply: tensor<i1> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>})
    -> tensor<8x4xf32> {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here: the op contracts operands split on tp}}
  %out = moe.experts %rows, %sizes, %w_gate, %w_up, %w_down : tensor<16x8xf32>, tensor<2xi32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>
  %back = spmd.all_to_all %out, %recv, %send over @mesh[expert] [ep] (V -> V) : tensor<16x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %eo = tensor.cast %back : tensor<?x8xf32> to tensor<16x8xf32>
  %deo, %dscores = moe.combine_grad %eo, %idx, %scores, %dout num_experts = 4 : tensor<16x8xf32>, tensor<2x4x2xi32>, tensor<2x4x2xf32>, tensor<2x4x8xf32>
  %zero = arith.constant dense<0.0> : tensor<2x4x4xf32>
  %dx, %dw = moe.router_grad %h, %gate, %probs, %idx, %dscores, %zero scoring = softmax top_k = 2 : tensor<2x4x8xf32>, tensor<8x4xf32>, tensor<2x4x4xf32>, tensor<2x4x2xi32>, tensor<2x4x2xf32>
  %dw_dp = spmd.all_reduce %dw over @mesh[dense] [dp] (V -> R) : tensor<8x4xf32>
  // expected-error @+1 {{'moe.sgd_step' op is non-linear in operand #1 (%2), which is V on axis tp of @mesh[dense] but a pending sum (see the note): a non-linear op of a partial sum is not the partial sum of the op; reduce it first (spmd.all_reduce V -> R): a gradient that is a pending sum over tp needs its all-reduce over tp before the optimizer update}}
  %g2 = moe.sgd_step %gate, %dw_dp, %lr, %lr, %apply weight_decay = 0.0 : tensor<8x4xf32>
  return %g2 : tensor<8x4xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 2]

// Scores before the experts: the pending sum reaches the router through
// moe.dispatch_grad's d_scores = <d_sorted, x>, d_sorted being a pending sum
// over etp (moe.experts_grad contracts F).
func.func @negative_torchtitan_2416_etp_score_first(
    %h: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %gate: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>},
    %probs: tensor<2x4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %idx: tensor<2x4x2xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %scores: tensor<2x4x2xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %rows: tensor<16x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = R}>},
    %sizes: tensor<2xi32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = R}>},
    %w_gate: tensor<2x8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = V}>},
    %w_up: tensor<2x8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = V}>},
    %w_down: tensor<2x8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = V}>},
    %drows: tensor<16x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = R}>},
    %send: tensor<2xi64>, %recv: tensor<2xi64>)
    -> (tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}) {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here: the op contracts operands split on tp}}
  %ds, %dwg, %dwu, %dwd = moe.experts_grad %rows, %sizes, %w_gate, %w_up, %w_down, %drows : tensor<16x8xf32>, tensor<2xi32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>
  %back = spmd.all_to_all %ds, %recv, %send over @mesh[expert] [ep] (V -> V) : tensor<16x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %dsorted = tensor.cast %back : tensor<?x8xf32> to tensor<16x8xf32>
  %dx0, %dscores = moe.dispatch_grad %idx, %dsorted scores %scores, %h num_experts = 4 : tensor<2x4x2xi32>, tensor<16x8xf32>, tensor<2x4x2xf32>, tensor<2x4x8xf32> -> tensor<2x4x8xf32>, tensor<2x4x2xf32>
  %zero = arith.constant dense<0.0> : tensor<2x4x4xf32>
  %dx, %dw = moe.router_grad %h, %gate, %probs, %idx, %dscores, %zero scoring = softmax top_k = 2 : tensor<2x4x8xf32>, tensor<8x4xf32>, tensor<2x4x4xf32>, tensor<2x4x2xi32>, tensor<2x4x2xf32>
  %dw_dp = spmd.all_reduce %dw over @mesh[dense] [dp] (V -> R) : tensor<8x4xf32>
  // expected-error @+1 {{result #0 (%1) is typed V but a pending sum on axis tp of @mesh[dense], but the function declares it R: reduce it first (spmd.all_reduce V -> R)}}
  return %dw_dp : tensor<8x4xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 2]

// The fix: all-reduce d_scores over tp before moe.router_grad (the
// torchtitan patch's backward all-reduce). The router weight gradient is
// then complete on every lane once reduced over dp.
func.func @torchtitan_2416_etp_fixed(
    %h: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %gate: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>},
    %probs: tensor<2x4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %idx: tensor<2x4x2xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %scores: tensor<2x4x2xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %rows: tensor<16x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = R}>},
    %sizes: tensor<2xi32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = R}>},
    %w_gate: tensor<2x8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = V}>},
    %w_up: tensor<2x8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = V}>},
    %w_down: tensor<2x8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = V}>},
    %dout: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %send: tensor<2xi64>, %recv: tensor<2xi64>)
    -> (tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}) {
  %out = moe.experts %rows, %sizes, %w_gate, %w_up, %w_down : tensor<16x8xf32>, tensor<2xi32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>
  %back = spmd.all_to_all %out, %recv, %send over @mesh[expert] [ep] (V -> V) : tensor<16x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  %eo = tensor.cast %back : tensor<?x8xf32> to tensor<16x8xf32>
  %deo, %dscores = moe.combine_grad %eo, %idx, %scores, %dout num_experts = 4 : tensor<16x8xf32>, tensor<2x4x2xi32>, tensor<2x4x2xf32>, tensor<2x4x8xf32>
  %dscores_tp = spmd.all_reduce %dscores over @mesh[dense] [tp] (V -> R) : tensor<2x4x2xf32>
  %zero = arith.constant dense<0.0> : tensor<2x4x4xf32>
  %dx, %dw = moe.router_grad %h, %gate, %probs, %idx, %dscores_tp, %zero scoring = softmax top_k = 2 : tensor<2x4x8xf32>, tensor<8x4xf32>, tensor<2x4x4xf32>, tensor<2x4x2xi32>, tensor<2x4x2xf32>
  %dw_dp = spmd.all_reduce %dw over @mesh[dense] [dp] (V -> R) : tensor<8x4xf32>
  return %dw_dp : tensor<8x4xf32>
}
