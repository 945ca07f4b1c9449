// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Reading a parameter that was never declared.
func.func @negative_get_param_unknown() -> tensor<4xf32> {
  // expected-error @+1 {{'moe.get_param' op unknown parameter @missing}}
  %0 = moe.get_param @missing : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
// The symbol must be a moe.param, not any symbol.
func.func @negative_get_param_not_param() -> tensor<4xf32> {
  // expected-error @+1 {{'moe.get_param' op @mesh is a 'spmd.mesh', not a 'moe.param'}}
  %0 = moe.get_param @mesh : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

moe.param @w : tensor<64x32xf32> family = dense
// The result type must equal the declared type exactly (no transposed read).
func.func @negative_get_param_shape() -> tensor<32x64xf32> {
  // expected-error @+1 {{'moe.get_param' op result type 'tensor<32x64xf32>' does not match the type 'tensor<64x32xf32>' of parameter @w}}
  %0 = moe.get_param @w : tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

moe.param @w : tensor<64xf32> family = norm
// Element types must match too (no implicit casts).
func.func @negative_get_param_element_type() -> tensor<64xbf16> {
  // expected-error @+1 {{result type 'tensor<64xbf16>' does not match the type 'tensor<64xf32>' of parameter @w}}
  %0 = moe.get_param @w : tensor<64xbf16>
  return %0 : tensor<64xbf16>
}
