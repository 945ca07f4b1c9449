// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The forward rule applies: top_k is at most the number of experts.
func.func @negative_router_grad_top_k(%x: tensor<2x16x64xf32>, %w: tensor<64x8xf32>, %probs: tensor<2x16x8xf32>, %indices: tensor<2x16x9xi32>, %dscores: tensor<2x16x9xf32>) {
  // expected-error @+1 {{'moe.router_grad' op top_k = 9 exceeds num_experts = 8}}
  %dx, %dw = moe.router_grad %x, %w, %probs, %indices, %dscores, %probs scoring = softmax top_k = 9 : tensor<2x16x64xf32>, tensor<64x8xf32>, tensor<2x16x8xf32>, tensor<2x16x9xi32>, tensor<2x16x9xf32>
  return
}

// -----

// probs is the forward [B, S, E] result.
func.func @negative_router_grad_probs(%x: tensor<2x16x64xf32>, %w: tensor<64x8xf32>, %probs: tensor<2x16x4xf32>, %indices: tensor<2x16x2xi32>, %dscores: tensor<2x16x2xf32>) {
  // expected-error @+1 {{'moe.router_grad' op expected probs to have shape [B, S, E] = [2, 16, 8], got [2, 16, 4]}}
  %dx, %dw = moe.router_grad %x, %w, %probs, %indices, %dscores, %probs scoring = softmax top_k = 2 : tensor<2x16x64xf32>, tensor<64x8xf32>, tensor<2x16x4xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>
  return
}

// -----

// indices must be the [B, S, K] selection of this top_k.
func.func @negative_router_grad_indices(%x: tensor<2x16x64xf32>, %w: tensor<64x8xf32>, %probs: tensor<2x16x8xf32>, %indices: tensor<2x16x3xi32>, %dscores: tensor<2x16x2xf32>) {
  // expected-error @+1 {{'moe.router_grad' op expected indices to have shape [B, S, K] = [2, 16, 2], got [2, 16, 3]}}
  %dx, %dw = moe.router_grad %x, %w, %probs, %indices, %dscores, %probs scoring = softmax top_k = 2 : tensor<2x16x64xf32>, tensor<64x8xf32>, tensor<2x16x8xf32>, tensor<2x16x3xi32>, tensor<2x16x2xf32>
  return
}

// -----

// dscores has the type of the forward scores.
func.func @negative_router_grad_dscores(%x: tensor<2x16x64xf32>, %w: tensor<64x8xf32>, %probs: tensor<2x16x8xf32>, %indices: tensor<2x16x2xi32>, %dscores: tensor<2x16x2xf64>) {
  // expected-error @+1 {{'moe.router_grad' op expected dscores element type 'f64' to match the forward result element type 'f32'}}
  %dx, %dw = moe.router_grad %x, %w, %probs, %indices, %dscores, %probs scoring = softmax top_k = 2 : tensor<2x16x64xf32>, tensor<64x8xf32>, tensor<2x16x8xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf64>
  return
}

// -----

// Router indices are i32, as the router produces them.
func.func @negative_router_grad_i64_indices(%x: tensor<2x16x64xf32>, %w: tensor<64x8xf32>, %probs: tensor<2x16x8xf32>, %indices: tensor<2x16x2xi64>, %dscores: tensor<2x16x2xf32>) {
  // expected-error @+1 {{'moe.router_grad' op operand #3 must be statically shaped tensor of 32-bit signless integer values, but got 'tensor<2x16x2xi64>'}}
  %dx, %dw = moe.router_grad %x, %w, %probs, %indices, %dscores, %probs scoring = softmax top_k = 2 : tensor<2x16x64xf32>, tensor<64x8xf32>, tensor<2x16x8xf32>, tensor<2x16x2xi64>, tensor<2x16x2xf32>
  return
}
