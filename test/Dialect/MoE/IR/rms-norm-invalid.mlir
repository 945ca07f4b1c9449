// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// A 0-d tensor has no hidden dimension to normalise over.
func.func @negative_rms_norm_scalar(%x: tensor<f32>, %w: tensor<1xf32>) {
  // expected-error @+1 {{'moe.rms_norm' op expected x to have rank >= 1 ([..., H]), got rank 0}}
  %0 = moe.rms_norm %x, %w : tensor<f32>, tensor<1xf32>
  return
}

// -----

// The weight scales the hidden dimension of x.
func.func @negative_rms_norm_weight_size(%x: tensor<2x16x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'moe.rms_norm' op expected weight to have shape [H] = [64], got [32]}}
  %0 = moe.rms_norm %x, %w : tensor<2x16x64xf32>, tensor<32xf32>
  return
}

// -----

// A [1, H] weight is not a [H] weight.
func.func @negative_rms_norm_weight_rank(%x: tensor<2x16x64xf32>, %w: tensor<1x64xf32>) {
  // expected-error @+1 {{'moe.rms_norm' op expected weight to have shape [H] = [64], got [1, 64]}}
  %0 = moe.rms_norm %x, %w : tensor<2x16x64xf32>, tensor<1x64xf32>
  return
}

// -----

// No implicit precision casts.
func.func @negative_rms_norm_element_type(%x: tensor<2x16x64xf32>, %w: tensor<64xbf16>) {
  // expected-error @+1 {{'moe.rms_norm' op expected weight element type 'bf16' to match x element type 'f32'}}
  %0 = moe.rms_norm %x, %w : tensor<2x16x64xf32>, tensor<64xbf16>
  return
}

// -----

// A non-positive epsilon can divide by zero.
func.func @negative_rms_norm_epsilon(%x: tensor<2x16x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'moe.rms_norm' op epsilon must be positive and finite, got 0.000000e+00}}
  %0 = moe.rms_norm %x, %w epsilon = 0.0 : tensor<2x16x64xf32>, tensor<64xf32>
  return
}
