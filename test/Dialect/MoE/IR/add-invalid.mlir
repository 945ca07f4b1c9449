// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// No broadcasting: a residual add needs equal types.
func.func @negative_add_shape(%a: tensor<2x16x64xf32>, %b: tensor<64xf32>) {
  // expected-error @+1 {{'moe.add' op failed to verify that all of {lhs, rhs, result} have same type}}
  %0 = "moe.add"(%a, %b) : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

// Losses of different precision are not added implicitly.
func.func @negative_add_element_type(%a: tensor<f32>, %b: tensor<f64>) {
  // expected-error @+1 {{'moe.add' op failed to verify that all of {lhs, rhs, result} have same type}}
  %0 = "moe.add"(%a, %b) : (tensor<f32>, tensor<f64>) -> tensor<f32>
  return
}

// -----

// Dynamic shapes are rejected.
func.func @negative_add_dynamic(%a: tensor<?xf32>) {
  // expected-error @+1 {{'moe.add' op operand #0 must be statically shaped tensor}}
  %0 = moe.add %a, %a : tensor<?xf32>
  return
}
