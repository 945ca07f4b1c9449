// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// gate and up are combined elementwise, so their types must agree.
func.func @negative_swiglu_shape(%g: tensor<2x128xf32>, %u: tensor<2x64xf32>) {
  // expected-error @+1 {{'moe.swiglu' op failed to verify that all of {gate, up, result} have same type}}
  %0 = "moe.swiglu"(%g, %u) : (tensor<2x128xf32>, tensor<2x64xf32>) -> tensor<2x128xf32>
  return
}

// -----

// SwiGLU is a float activation.
func.func @negative_swiglu_integer(%g: tensor<4xi32>) {
  // expected-error @+1 {{'moe.swiglu' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = moe.swiglu %g, %g : tensor<4xi32>
  return
}
