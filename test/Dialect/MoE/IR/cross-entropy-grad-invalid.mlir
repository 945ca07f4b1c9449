// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The forward rule applies: targets match the logits' [B, S].
func.func @negative_cross_entropy_grad_targets(%logits: tensor<2x16x256xf32>, %targets: tensor<2x8xi32>, %dloss: tensor<f32>) {
  // expected-error @+1 {{'moe.cross_entropy_grad' op expected targets [B, S] = [2, 8] to match logits [B, S] = [2, 16]}}
  %dl = moe.cross_entropy_grad %logits, %targets, %dloss : tensor<2x16x256xf32>, tensor<2x8xi32>, tensor<f32>
  return
}

// -----

// dloss has the loss's type: f64 for f64 logits.
func.func @negative_cross_entropy_grad_dloss(%logits: tensor<2x16x256xf64>, %targets: tensor<2x16xi32>, %dloss: tensor<f32>) {
  // expected-error @+1 {{'moe.cross_entropy_grad' op expected dloss element type 'f32' to match the forward result element type 'f64'}}
  %dl = moe.cross_entropy_grad %logits, %targets, %dloss : tensor<2x16x256xf64>, tensor<2x16xi32>, tensor<f32>
  return
}

// -----

func.func @negative_cross_entropy_grad_num_tokens(%l: tensor<2x16x256xf32>, %t: tensor<2x16xi32>, %dl: tensor<f32>) {
  // expected-error @+1 {{'moe.cross_entropy_grad' op num_tokens = 0 must be positive and at least the 32 tokens of the targets}}
  %0 = moe.cross_entropy_grad %l, %t, %dl num_tokens = 0 : tensor<2x16x256xf32>, tensor<2x16xi32>, tensor<f32>
  return
}
