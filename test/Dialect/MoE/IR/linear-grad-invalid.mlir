// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The forward rule applies: weights are stored [in, out].
func.func @negative_linear_grad_weight(%x: tensor<2x16x64xf32>, %w: tensor<32x64xf32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.linear_grad' op expected weight dim 0 to equal input size 64, got 32}}
  %dx, %dw = moe.linear_grad %x, %w, %dout : tensor<2x16x64xf32>, tensor<32x64xf32>, tensor<2x16x64xf32>
  return
}

// -----

// dout has the forward result's shape [..., N].
func.func @negative_linear_grad_dout_shape(%x: tensor<2x16x64xf32>, %w: tensor<64x32xf32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.linear_grad' op expected dout to have shape [..., N] = [2, 16, 32], got [2, 16, 64]}}
  %dx, %dw = moe.linear_grad %x, %w, %dout : tensor<2x16x64xf32>, tensor<64x32xf32>, tensor<2x16x64xf32>
  return
}

// -----

// ... and the forward result's element type.
func.func @negative_linear_grad_dout_element_type(%x: tensor<2x64xf32>, %w: tensor<64x32xf32>, %dout: tensor<2x32xbf16>) {
  // expected-error @+1 {{'moe.linear_grad' op expected dout element type 'bf16' to match the forward result element type 'f32'}}
  %dx, %dw = moe.linear_grad %x, %w, %dout : tensor<2x64xf32>, tensor<64x32xf32>, tensor<2x32xbf16>
  return
}
