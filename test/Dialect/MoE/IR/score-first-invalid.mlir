// RUN: moefold-opt %s -split-input-file -verify-diagnostics
// Scores before the experts: malformed dispatch / combine / gradients.

// The dispatch's scores are [B, S, K], like the indices.
func.func @negative_dispatch_scores_shape(%x: tensor<2x16x64xf32>, %i: tensor<2x16x2xi32>, %s: tensor<2x16x3xf32>) {
  // expected-error @+1 {{'moe.dispatch' op expected scores to have shape [B, S, K] = [2, 16, 2], got [2, 16, 3]}}
  %r, %g = moe.dispatch %x, %i scores %s num_experts = 8 : tensor<2x16x64xf32>, tensor<2x16x2xi32>, tensor<2x16x3xf32>
  return
}

// -----

// Scores and tokens share one element type.
func.func @negative_dispatch_scores_type(%x: tensor<2x16x64xf32>, %i: tensor<2x16x2xi32>, %s: tensor<2x16x2xf64>) {
  // expected-error @+1 {{'moe.dispatch' op expected scores element type 'f64' to match x element type 'f32'}}
  %r, %g = moe.dispatch %x, %i scores %s num_experts = 8 : tensor<2x16x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf64>
  return
}

// -----

// The gradient of a dispatch with scores returns dscores.
func.func @negative_dispatch_grad_no_dscores(%i: tensor<2x16x2xi32>, %d: tensor<64x64xf32>, %s: tensor<2x16x2xf32>, %x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.dispatch_grad' op with scores needs a dscores result}}
  %dx = moe.dispatch_grad %i, %d scores %s, %x num_experts = 8 : tensor<2x16x2xi32>, tensor<64x64xf32>, tensor<2x16x2xf32>, tensor<2x16x64xf32> -> tensor<2x16x64xf32>
  return
}

// -----

// x (for dscores) is the dispatched tokens: the type of dx.
func.func @negative_dispatch_grad_x(%i: tensor<2x16x2xi32>, %d: tensor<64x64xf32>, %s: tensor<2x16x2xf32>, %x: tensor<2x16x32xf32>) {
  // expected-error @+1 {{'moe.dispatch_grad' op expected x to have shape [B, S, H] = [2, 16, 64], got [2, 16, 32]}}
  %dx, %ds = moe.dispatch_grad %i, %d scores %s, %x num_experts = 8 : tensor<2x16x2xi32>, tensor<64x64xf32>, tensor<2x16x2xf32>, tensor<2x16x32xf32> -> tensor<2x16x64xf32>, tensor<2x16x2xf32>
  return
}

// -----

// dscores has the type of the scores.
func.func @negative_dispatch_grad_dscores(%i: tensor<2x16x2xi32>, %d: tensor<64x64xf32>, %s: tensor<2x16x2xf32>, %x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.dispatch_grad' op expected dscores to have shape [B, S, K] = [2, 16, 2], got [2, 16, 1]}}
  %dx, %ds = moe.dispatch_grad %i, %d scores %s, %x num_experts = 8 : tensor<2x16x2xi32>, tensor<64x64xf32>, tensor<2x16x2xf32>, tensor<2x16x64xf32> -> tensor<2x16x64xf32>, tensor<2x16x1xf32>
  return
}

// -----

// An unweighted combine still takes one row per token copy.
func.func @negative_combine_unweighted_rows(%eo: tensor<32x64xf32>, %i: tensor<2x16x2xi32>) {
  // expected-error @+1 {{'moe.combine' op expected expert_out to have T*K = 32 * 2 = 64 rows, got 32}}
  %y = moe.combine %eo, %i : tensor<32x64xf32>, tensor<2x16x2xi32>
  return
}

// -----

// The unweighted combine's gradient: dout is [B, S, H].
func.func @negative_combine_grad_unweighted_dout(%eo: tensor<64x64xf32>, %i: tensor<2x16x2xi32>, %d: tensor<2x16x32xf32>) {
  // expected-error @+1 {{'moe.combine_grad' op expected dout to have shape [B, S, H] = [2, 16, 64], got [2, 16, 32]}}
  %deo = moe.combine_grad %eo, %i, %d num_experts = 8 : tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x32xf32>
  return
}

// -----

// Without scores there is no score gradient.
func.func @negative_dispatch_grad_dscores_without_scores(%i: tensor<2x16x2xi32>, %d: tensor<64x64xf32>) {
  // expected-error @+1 {{'moe.dispatch_grad' op has a dscores result but no scores operand}}
  %dx, %ds = moe.dispatch_grad %i, %d num_experts = 8 : tensor<2x16x2xi32>, tensor<64x64xf32> -> tensor<2x16x64xf32>, tensor<2x16x2xf32>
  return
}
