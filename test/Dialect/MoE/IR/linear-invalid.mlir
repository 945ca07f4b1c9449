// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Dynamic shapes are rejected while inferring the result type.
func.func @negative_linear_dynamic(%x: tensor<?x64xf32>, %w: tensor<64x32xf32>) {
  // expected-error @+1 {{'moe.linear' op expected x to be a statically shaped tensor, got 'tensor<?x64xf32>'}}
  %0 = moe.linear %x, %w : tensor<?x64xf32>, tensor<64x32xf32>
  return
}

// -----

// A 0-d input has no feature dimension.
func.func @negative_linear_scalar(%x: tensor<f32>, %w: tensor<1x32xf32>) {
  // expected-error @+1 {{'moe.linear' op expected x to have rank >= 1 ([..., K]), got rank 0}}
  %0 = moe.linear %x, %w : tensor<f32>, tensor<1x32xf32>
  return
}

// -----

// Weights are matrices; batched weights belong to moe.experts.
func.func @negative_linear_weight_rank(%x: tensor<2x64xf32>, %w: tensor<8x64x32xf32>) {
  // expected-error @+1 {{'moe.linear' op expected weight to have rank 2 ([K, N]), got rank 3}}
  %0 = moe.linear %x, %w : tensor<2x64xf32>, tensor<8x64x32xf32>
  return
}

// -----

// Weights are stored [in, out]; a transposed weight is caught with both sizes.
func.func @negative_linear_in_size(%x: tensor<2x16x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'moe.linear' op expected weight dim 0 to equal input size 64, got 32}}
  %0 = moe.linear %x, %w : tensor<2x16x64xf32>, tensor<32x64xf32>
  return
}

// -----

// No implicit precision casts.
func.func @negative_linear_element_type(%x: tensor<2x64xf16>, %w: tensor<64x32xf32>) {
  // expected-error @+1 {{'moe.linear' op expected weight element type 'f32' to match x element type 'f16'}}
  %0 = moe.linear %x, %w : tensor<2x64xf16>, tensor<64x32xf32>
  return
}

// -----

// In the generic form a wrong result type is caught against the inferred one.
func.func @negative_linear_result_type(%x: tensor<2x64xf32>, %w: tensor<64x32xf32>) {
  // expected-error @+2 {{'moe.linear' op inferred type(s) 'tensor<2x32xf32>' are incompatible with return type(s) of operation 'tensor<2x64xf32>'}}
  // expected-error @+1 {{'moe.linear' op failed to infer returned types}}
  %0 = "moe.linear"(%x, %w) : (tensor<2x64xf32>, tensor<64x32xf32>) -> tensor<2x64xf32>
  return
}
