// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The forward op's shape rule applies: weight is [H].
func.func @negative_rms_norm_grad_weight(%x: tensor<2x16x64xf32>, %w: tensor<32xf32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.rms_norm_grad' op expected weight to have shape [H] = [64], got [32]}}
  %dx, %dw = moe.rms_norm_grad %x, %w, %dout : tensor<2x16x64xf32>, tensor<32xf32>
  return
}

// -----

// The forward op's epsilon rule applies too.
func.func @negative_rms_norm_grad_epsilon(%x: tensor<2x16x64xf32>, %w: tensor<64xf32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.rms_norm_grad' op epsilon must be positive and finite, got 0.000000e+00}}
  %dx, %dw = moe.rms_norm_grad %x, %w, %dout epsilon = 0.0 : tensor<2x16x64xf32>, tensor<64xf32>
  return
}

// -----

// dout must have x's type; the generic form can break that.
func.func @negative_rms_norm_grad_dout(%x: tensor<2x16x64xf32>, %w: tensor<64xf32>, %dout: tensor<2x16x32xf32>) {
  // expected-error @+1 {{'moe.rms_norm_grad' op failed to verify that all of {x, dout, dx} have same type}}
  %dx, %dw = "moe.rms_norm_grad"(%x, %w, %dout) : (tensor<2x16x64xf32>, tensor<64xf32>, tensor<2x16x32xf32>) -> (tensor<2x16x64xf32>, tensor<64xf32>)
  return
}
