// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// dx is the [B, S, H] of the dispatched tokens.
func.func @negative_dispatch_grad_dx_rank(%indices: tensor<2x16x2xi32>, %dsorted: tensor<64x64xf32>) {
  // expected-error @+1 {{'moe.dispatch_grad' op expected dx to have rank 3 ([B, S, H]), got rank 2}}
  %dx = moe.dispatch_grad %indices, %dsorted num_experts = 8 : tensor<2x16x2xi32>, tensor<64x64xf32> -> tensor<32x64xf32>
  return
}

// -----

// The forward rule applies: top_k is at most num_experts.
func.func @negative_dispatch_grad_top_k(%indices: tensor<2x16x4xi32>, %dsorted: tensor<128x64xf32>) {
  // expected-error @+1 {{'moe.dispatch_grad' op top_k = 4 exceeds num_experts = 2}}
  %dx = moe.dispatch_grad %indices, %dsorted num_experts = 2 : tensor<2x16x4xi32>, tensor<128x64xf32> -> tensor<2x16x64xf32>
  return
}

// -----

// dsorted has one row per token copy (T*K).
func.func @negative_dispatch_grad_rows(%indices: tensor<2x16x2xi32>, %dsorted: tensor<32x64xf32>) {
  // expected-error @+1 {{'moe.dispatch_grad' op expected dsorted to have shape [T*K, H] = [64, 64], got [32, 64]}}
  %dx = moe.dispatch_grad %indices, %dsorted num_experts = 8 : tensor<2x16x2xi32>, tensor<32x64xf32> -> tensor<2x16x64xf32>
  return
}

// -----

// dx and indices describe the same tokens.
func.func @negative_dispatch_grad_tokens(%indices: tensor<2x16x2xi32>, %dsorted: tensor<64x64xf32>) {
  // expected-error @+1 {{'moe.dispatch_grad' op expected indices [B, S] = [2, 16] to match dx [B, S] = [4, 8]}}
  %dx = moe.dispatch_grad %indices, %dsorted num_experts = 8 : tensor<2x16x2xi32>, tensor<64x64xf32> -> tensor<4x8x64xf32>
  return
}

// -----

// num_experts must be positive.
func.func @negative_dispatch_grad_num_experts(%indices: tensor<2x16x2xi32>, %dsorted: tensor<64x64xf32>) {
  // expected-error @+1 {{'moe.dispatch_grad' op num_experts must be positive, got 0}}
  %dx = moe.dispatch_grad %indices, %dsorted num_experts = 0 : tensor<2x16x2xi32>, tensor<64x64xf32> -> tensor<2x16x64xf32>
  return
}
