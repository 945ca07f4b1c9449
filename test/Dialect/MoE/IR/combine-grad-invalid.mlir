// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The forward rule applies: expert_out has T*K rows.
func.func @negative_combine_grad_rows(%out: tensor<32x64xf32>, %indices: tensor<2x16x2xi32>, %scores: tensor<2x16x2xf32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.combine_grad' op expected expert_out to have T*K = 32 * 2 = 64 rows, got 32}}
  %deo, %ds = moe.combine_grad %out, %indices, %scores, %dout num_experts = 8 : tensor<32x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>, tensor<2x16x64xf32>
  return
}

// -----

// dout has the forward [B, S, H] result's shape.
func.func @negative_combine_grad_dout(%out: tensor<64x64xf32>, %indices: tensor<2x16x2xi32>, %scores: tensor<2x16x2xf32>, %dout: tensor<2x16x32xf32>) {
  // expected-error @+1 {{'moe.combine_grad' op expected dout to have shape [B, S, H] = [2, 16, 64], got [2, 16, 32]}}
  %deo, %ds = moe.combine_grad %out, %indices, %scores, %dout num_experts = 8 : tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>, tensor<2x16x32xf32>
  return
}

// -----

// num_experts fixes the row order, so it must cover the K selections.
func.func @negative_combine_grad_top_k(%out: tensor<64x64xf32>, %indices: tensor<2x16x2xi32>, %scores: tensor<2x16x2xf32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.combine_grad' op top_k = 2 exceeds num_experts = 1}}
  %deo, %ds = moe.combine_grad %out, %indices, %scores, %dout num_experts = 1 : tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>, tensor<2x16x64xf32>
  return
}

// -----

// num_experts must be positive.
func.func @negative_combine_grad_num_experts(%out: tensor<64x64xf32>, %indices: tensor<2x16x2xi32>, %scores: tensor<2x16x2xf32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.combine_grad' op num_experts must be positive, got -1}}
  %deo, %ds = moe.combine_grad %out, %indices, %scores, %dout num_experts = -1 : tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>, tensor<2x16x64xf32>
  return
}
