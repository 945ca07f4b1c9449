// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Tokens are dispatched from [B, S, H].
func.func @negative_dispatch_x_rank(%x: tensor<32x64xf32>, %i: tensor<2x16x2xi32>) {
  // expected-error @+1 {{'moe.dispatch' op expected x to have rank 3 ([B, S, H]), got rank 2}}
  %s, %g = moe.dispatch %x, %i num_experts = 8 : tensor<32x64xf32>, tensor<2x16x2xi32>
  return
}

// -----

// Indices are the router's [B, S, K].
func.func @negative_dispatch_indices_rank(%x: tensor<2x16x64xf32>, %i: tensor<2x16xi32>) {
  // expected-error @+1 {{'moe.dispatch' op expected indices to have rank 3 ([B, S, K]), got rank 2}}
  %s, %g = moe.dispatch %x, %i num_experts = 8 : tensor<2x16x64xf32>, tensor<2x16xi32>
  return
}

// -----

// There is at least one expert to dispatch to.
func.func @negative_dispatch_no_experts(%x: tensor<2x16x64xf32>, %i: tensor<2x16x2xi32>) {
  // expected-error @+1 {{'moe.dispatch' op num_experts must be positive, got 0}}
  %s, %g = moe.dispatch %x, %i num_experts = 0 : tensor<2x16x64xf32>, tensor<2x16x2xi32>
  return
}

// -----

// Indices must describe the same tokens as x.
func.func @negative_dispatch_token_dims(%x: tensor<2x16x64xf32>, %i: tensor<2x8x2xi32>) {
  // expected-error @+1 {{'moe.dispatch' op expected indices [B, S] = [2, 8] to match x [B, S] = [2, 16]}}
  %s, %g = moe.dispatch %x, %i num_experts = 8 : tensor<2x16x64xf32>, tensor<2x8x2xi32>
  return
}

// -----

// K distinct experts per token need at least K experts.
func.func @negative_dispatch_top_k(%x: tensor<2x16x64xf32>, %i: tensor<2x16x4xi32>) {
  // expected-error @+1 {{'moe.dispatch' op top_k = 4 exceeds num_experts = 2}}
  %s, %g = moe.dispatch %x, %i num_experts = 2 : tensor<2x16x64xf32>, tensor<2x16x4xi32>
  return
}
