// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Routing works on [B, S, H] activations.
func.func @negative_router_x_rank(%x: tensor<32x64xf32>, %w: tensor<64x8xf32>) {
  // expected-error @+1 {{'moe.router' op expected x to have rank 3 ([B, S, H]), got rank 2}}
  %s, %i, %p = moe.router %x, %w scoring = softmax top_k = 2 : tensor<32x64xf32>, tensor<64x8xf32>
  return
}

// -----

// The router weight is [H, E].
func.func @negative_router_weight_rank(%x: tensor<2x16x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'moe.router' op expected weight to have rank 2 ([H, E]), got rank 1}}
  %s, %i, %p = moe.router %x, %w scoring = softmax top_k = 2 : tensor<2x16x64xf32>, tensor<64xf32>
  return
}

// -----

// Every token must go to at least one expert.
func.func @negative_router_top_k_zero(%x: tensor<2x16x64xf32>, %w: tensor<64x8xf32>) {
  // expected-error @+1 {{'moe.router' op top_k must be at least 1, got 0}}
  %s, %i, %p = moe.router %x, %w scoring = softmax top_k = 0 : tensor<2x16x64xf32>, tensor<64x8xf32>
  return
}

// -----

// A token cannot pick more distinct experts than exist.
func.func @negative_router_top_k_too_large(%x: tensor<2x16x64xf32>, %w: tensor<64x8xf32>) {
  // expected-error @+1 {{'moe.router' op top_k = 9 exceeds num_experts = 8}}
  %s, %i, %p = moe.router %x, %w scoring = softmax top_k = 9 : tensor<2x16x64xf32>, tensor<64x8xf32>
  return
}

// -----

// A transposed router weight ([E, H]) is caught with both sizes.
func.func @negative_router_weight_hidden(%x: tensor<2x16x64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'moe.router' op expected weight dim 0 to equal hidden size 64, got 8}}
  %s, %i, %p = moe.router %x, %w scoring = softmax top_k = 2 : tensor<2x16x64xf32>, tensor<8x64xf32>
  return
}

// -----

// No implicit precision casts.
func.func @negative_router_element_type(%x: tensor<2x16x64xbf16>, %w: tensor<64x8xf32>) {
  // expected-error @+1 {{'moe.router' op expected weight element type 'f32' to match x element type 'bf16'}}
  %s, %i, %p = moe.router %x, %w scoring = softmax top_k = 2 : tensor<2x16x64xbf16>, tensor<64x8xf32>
  return
}

// -----

// The selection bias has one entry per expert.
func.func @negative_router_bias_shape(%x: tensor<2x16x64xf32>, %w: tensor<64x8xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'moe.router' op expected bias to have shape [E] = [8], got [4]}}
  %s, %i, %p = moe.router %x, %w bias %b scoring = sigmoid top_k = 2 : tensor<2x16x64xf32>, tensor<64x8xf32>, tensor<4xf32>
  return
}

// -----

// The bias is added to the scores, so it shares their element type.
func.func @negative_router_bias_element_type(%x: tensor<2x16x64xf32>, %w: tensor<64x8xf32>, %b: tensor<8xf16>) {
  // expected-error @+1 {{'moe.router' op expected bias element type 'f16' to match x element type 'f32'}}
  %s, %i, %p = moe.router %x, %w bias %b scoring = sigmoid top_k = 2 : tensor<2x16x64xf32>, tensor<64x8xf32>, tensor<8xf16>
  return
}

// -----

// Only softmax and sigmoid scoring exist.
func.func @negative_router_scoring(%x: tensor<2x16x64xf32>, %w: tensor<64x8xf32>) {
  // expected-error @+1 {{expected one of [softmax, sigmoid] for router scoring function, got: relu}}
  %s, %i, %p = moe.router %x, %w scoring = relu top_k = 2 : tensor<2x16x64xf32>, tensor<64x8xf32>
  return
}
