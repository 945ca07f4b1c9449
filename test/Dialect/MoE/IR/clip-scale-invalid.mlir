// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// An infinite threshold is a typo for "disabled" (max_norm <= 0).
func.func @negative_clip_scale_inf(%norm: tensor<f32>) {
  // expected-error @+1 {{'moe.clip_scale' op max_norm must be finite (<= 0 disables clipping), got INF}}
  %scale, %apply = moe.clip_scale %norm max_norm = 0x7FF0000000000000
  return
}

// -----

// Norms are tensor<f32> (the generic form can try another type).
func.func @negative_clip_scale_f64(%norm: tensor<f64>) {
  // expected-error @+1 {{'moe.clip_scale' op operand #0 must be 0-d tensor of f32, but got 'tensor<f64>'}}
  %scale, %apply = "moe.clip_scale"(%norm) {max_norm = 1.0 : f64} : (tensor<f64>) -> (tensor<f32>, tensor<i1>)
  return
}
