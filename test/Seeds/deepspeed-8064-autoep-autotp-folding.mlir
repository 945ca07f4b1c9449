// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// Seed deepspeed-8064 (shared/seeds/deepspeed-8064-autoep-autotp-folding.txt).
// The bug class: TP (dense) and EP (experts) folded onto the same ranks.
// Each TP lane keeps 1/tp of the tokens before the expert all-to-all and an
// all-gather restores the full token set afterwards; that restore's backward
// summed the lanes' gradients, injecting a tp_size factor into the expert
// (and router) gradients. And a name-pattern filter could not tell router
// gradients (partial over tp: need a SUM) from LayerNorm ones (already
// complete: no tp reduction), so one of them always got the wrong reduction.
// The types catch both: all_gather V -> R promises a gradient that is P over
// tp, but the residual stream it joins is I (complete on every lane), so I
// meets R; and a reduction over tp demands src P, which a complete (I)
// LayerNorm gradient is not, while a result declared complete rejects a
// router gradient still pending over tp.

// world 8 = dp4 x tp2 = edp2 x ep4 (TP2 / EP4, the PR's shape).
spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The folded MoE block with the restore typed V -> R.
func.func @negative_deepspeed_8064_restore_to_replicate(
    // expected-note @+1 {{type I on axis tp of @mesh[dense] comes from here}}
    %h: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
    %gate: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = I}>},
    %sizes: tensor<2xi32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = V}>},
    %w_gate: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_up: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_down: tensor<2x16x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %send: tensor<4xi64>, %recv: tensor<4xi64>)
    -> (tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>}) {
  // Route the full token set on every lane, keep this lane's half.
  %scores, %idx, %probs = moe.router %h, %gate scoring = softmax top_k = 2 : tensor<2x4x8xf32>, tensor<8x8xf32>
  %h_part = spmd.convert %h over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x8xf32> -> tensor<1x4x8xf32>
  %idx_part = spmd.convert %idx over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x2xi32> -> tensor<1x4x2xi32>
  %s_part = spmd.convert %scores over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x2xf32> -> tensor<1x4x2xf32>
  // One all-to-all over ep (1x dispatch volume), the experts, the inverse.
  %sorted, %counts = moe.dispatch %h_part, %idx_part num_experts = 8 : tensor<1x4x8xf32>, tensor<1x4x2xi32>
  %sent = spmd.all_to_all %sorted, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x8xf32>
  %rows = tensor.cast %sent : tensor<?x8xf32> to tensor<8x8xf32>
  %out = moe.experts %rows, %sizes, %w_gate, %w_up, %w_down : tensor<8x8xf32>, tensor<2xi32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x16x8xf32>
  %back = spmd.all_to_all %out, %recv, %send over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x8xf32>
  %back_rows = tensor.cast %back : tensor<?x8xf32> to tensor<8x8xf32>
  %y_part = moe.combine %back_rows, %idx_part, %s_part : tensor<8x8xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  // The restore: its backward would reduce-scatter (sum) the lanes'
  // identical gradients.
  // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
  %y = spmd.all_gather %y_part over @mesh[dense] [tp] (V -> R) dim 0 : tensor<1x4x8xf32> -> tensor<2x4x8xf32>
  // expected-error @+1 {{'moe.add' op cannot mix I and R on axis tp of @mesh[dense]: operand #0 (%arg0) is I, operand #1 (%7) is R; convert the I operand explicitly (spmd.convert I -> R, whose backward all-reduces the gradient, or I -> V), or produce the other operand as I}}
  %res = moe.add %h, %y : tensor<2x4x8xf32>
  return %res : tensor<2x4x8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The LayerNorm weight gradient given the router's reduction (SUM over dp
// and tp). It reached the norm after the activation gradient had been made
// complete over tp, so it is I there: summing it over tp doubles it.
func.func @negative_deepspeed_8064_norm_grad_summed_over_tp(
    // expected-note @+1 {{type I on axis tp of @mesh[dense] comes from here}}
    %g_norm: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = I}>})
    -> (tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = I, tp = I}>}) {
  // expected-error @+1 {{'spmd.all_reduce' op operand %arg0 is typed I on axis tp of @mesh[dense], but the op expects src P (reducing an I value over tp would multiply it by the axis size)}}
  %r = spmd.all_reduce %g_norm over @mesh[dense] [dp, tp] (P -> I) : tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The router gradient given the LayerNorm's reduction (over dp only). The
// router rides the token-partitioned dispatch, so its gradient is partial
// over tp; returned as complete, half of it is lost on each lane.
func.func @negative_deepspeed_8064_router_grad_not_summed_over_tp(
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %g_router: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = P}>})
    -> (tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = I, tp = I}>}) {
  %r = spmd.all_reduce %g_router over @mesh[dense] [dp] (P -> I) : tensor<8x8xf32>
  // expected-error @+1 {{result #0 (%0) is typed P on axis tp of @mesh[dense], but the function declares it I}}
  return %r : tensor<8x8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The fix: restore with all_gather V -> I (its backward keeps the local
// slice, no tp factor) and let each gradient's type pick its reduction:
// the router's over dp and tp, the LayerNorm's over dp only.
func.func @deepspeed_8064_fixed(
    %h: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
    %gate: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = I}>},
    %sizes: tensor<2xi32> {spmd.local = #spmd.local<@mesh[expert] {edp = V, ep = V, etp = V}>},
    %w_gate: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_up: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %w_down: tensor<2x16x8xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
    %send: tensor<4xi64>, %recv: tensor<4xi64>,
    %g_router: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = P}>},
    %g_norm: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = I}>})
    -> (tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
        tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = I, tp = I}>},
        tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = I, tp = I}>}) {
  %scores, %idx, %probs = moe.router %h, %gate scoring = softmax top_k = 2 : tensor<2x4x8xf32>, tensor<8x8xf32>
  %h_part = spmd.convert %h over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x8xf32> -> tensor<1x4x8xf32>
  %idx_part = spmd.convert %idx over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x2xi32> -> tensor<1x4x2xi32>
  %s_part = spmd.convert %scores over @mesh[dense] [tp] (I -> V) dim 0 : tensor<2x4x2xf32> -> tensor<1x4x2xf32>
  %sorted, %counts = moe.dispatch %h_part, %idx_part num_experts = 8 : tensor<1x4x8xf32>, tensor<1x4x2xi32>
  %sent = spmd.all_to_all %sorted, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x8xf32>
  %rows = tensor.cast %sent : tensor<?x8xf32> to tensor<8x8xf32>
  %out = moe.experts %rows, %sizes, %w_gate, %w_up, %w_down : tensor<8x8xf32>, tensor<2xi32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x16x8xf32>
  %back = spmd.all_to_all %out, %recv, %send over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x8xf32>
  %back_rows = tensor.cast %back : tensor<?x8xf32> to tensor<8x8xf32>
  %y_part = moe.combine %back_rows, %idx_part, %s_part : tensor<8x8xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  %y = spmd.all_gather %y_part over @mesh[dense] [tp] (V -> I) dim 0 : tensor<1x4x8xf32> -> tensor<2x4x8xf32>
  %res = moe.add %h, %y : tensor<2x4x8xf32>
  %router_grad = spmd.all_reduce %g_router over @mesh[dense] [dp, tp] (P -> I) : tensor<8x8xf32>
  %norm_grad = spmd.all_reduce %g_norm over @mesh[dense] [dp] (P -> I) : tensor<8xf32>
  return %res, %router_grad, %norm_grad : tensor<2x4x8xf32>, tensor<8x8xf32>, tensor<8xf32>
}
