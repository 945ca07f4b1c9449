// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Writing a parameter that was never declared.
func.func @negative_set_param_unknown(%v: tensor<4xf32>) {
  // expected-error @+1 {{'moe.set_param' op unknown parameter @missing}}
  moe.set_param @missing, %v : tensor<4xf32>
  return
}

// -----

moe.state @m : tensor<4xf32>
// States are written with moe.set_state.
func.func @negative_set_param_state(%v: tensor<4xf32>) {
  // expected-error @+1 {{'moe.set_param' op @m is a 'moe.state', not a 'moe.param'}}
  moe.set_param @m, %v : tensor<4xf32>
  return
}

// -----

moe.param @w : tensor<64x32xf32> family = dense
// A transposed update is caught.
func.func @negative_set_param_type(%v: tensor<32x64xf32>) {
  // expected-error @+1 {{'moe.set_param' op value type 'tensor<32x64xf32>' does not match the type 'tensor<64x32xf32>' of parameter @w}}
  moe.set_param @w, %v : tensor<32x64xf32>
  return
}
