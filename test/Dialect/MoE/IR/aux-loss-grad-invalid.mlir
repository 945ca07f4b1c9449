// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The forward rule applies: probs has num_experts columns.
func.func @negative_aux_loss_grad_experts(%probs: tensor<2x16x8xf32>, %indices: tensor<2x16x2xi32>, %dloss: tensor<f32>) {
  // expected-error @+1 {{'moe.aux_loss_grad' op expected probs dim 2 to equal num_experts = 4, got 8}}
  %dp = moe.aux_loss_grad %probs, %indices, %dloss num_experts = 4 coefficient = 1.0e-02 : tensor<2x16x8xf32>, tensor<2x16x2xi32>, tensor<f32>
  return
}

// -----

// dloss has the loss's type: f32 for f32 probabilities.
func.func @negative_aux_loss_grad_dloss(%probs: tensor<2x16x8xf32>, %indices: tensor<2x16x2xi32>, %dloss: tensor<f64>) {
  // expected-error @+1 {{'moe.aux_loss_grad' op expected dloss element type 'f64' to match the forward result element type 'f32'}}
  %dp = moe.aux_loss_grad %probs, %indices, %dloss num_experts = 8 coefficient = 1.0e-02 : tensor<2x16x8xf32>, tensor<2x16x2xi32>, tensor<f64>
  return
}

// -----

// A loss gradient is a 0-d tensor.
func.func @negative_aux_loss_grad_dloss_rank(%probs: tensor<2x16x8xf32>, %indices: tensor<2x16x2xi32>, %dloss: tensor<1xf32>) {
  // expected-error @+1 {{'moe.aux_loss_grad' op operand #2 must be 0D tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<1xf32>'}}
  %dp = moe.aux_loss_grad %probs, %indices, %dloss num_experts = 8 coefficient = 1.0e-02 : tensor<2x16x8xf32>, tensor<2x16x2xi32>, tensor<1xf32>
  return
}
