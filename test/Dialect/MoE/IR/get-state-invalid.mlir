// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Reading a state that was never declared.
func.func @negative_get_state_unknown() -> tensor<4xf32> {
  // expected-error @+1 {{'moe.get_state' op unknown state @missing}}
  %0 = moe.get_state @missing : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

moe.param @w : tensor<4xf32> family = norm
// Parameters are not states: they are read with moe.get_param.
func.func @negative_get_state_param() -> tensor<4xf32> {
  // expected-error @+1 {{'moe.get_state' op @w is a 'moe.param', not a 'moe.state'}}
  %0 = moe.get_state @w : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

moe.state @m : tensor<64x32xf32>
// The type must match exactly.
func.func @negative_get_state_type() -> tensor<32x64xf32> {
  // expected-error @+1 {{'moe.get_state' op result type 'tensor<32x64xf32>' does not match the type 'tensor<64x32xf32>' of state @m}}
  %0 = moe.get_state @m : tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}
