// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// gate, up and dout share one type (only the generic form can break it).
func.func @negative_swiglu_grad_types(%g: tensor<2x16x128xf32>, %u: tensor<2x16x64xf32>, %dout: tensor<2x16x128xf32>) {
  // expected-error @+1 {{'moe.swiglu_grad' op failed to verify that all of {gate, up, dout, dgate, dup} have same type}}
  %dg, %du = "moe.swiglu_grad"(%g, %u, %dout) : (tensor<2x16x128xf32>, tensor<2x16x64xf32>, tensor<2x16x128xf32>) -> (tensor<2x16x128xf32>, tensor<2x16x128xf32>)
  return
}

// -----

// Dynamic shapes are rejected like in every moe op.
func.func @negative_swiglu_grad_dynamic(%g: tensor<?x128xf32>) {
  // expected-error @+1 {{'moe.swiglu_grad' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<?x128xf32>'}}
  %dg, %du = moe.swiglu_grad %g, %g, %g : tensor<?x128xf32>
  return
}
