// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Writing a state that was never declared.
func.func @negative_set_state_unknown(%v: tensor<4xf32>) {
  // expected-error @+1 {{'moe.set_state' op unknown state @missing}}
  moe.set_state @missing, %v : tensor<4xf32>
  return
}

// -----

moe.param @w : tensor<4xf32> family = norm
// Parameters are written with moe.set_param.
func.func @negative_set_state_param(%v: tensor<4xf32>) {
  // expected-error @+1 {{'moe.set_state' op @w is a 'moe.param', not a 'moe.state'}}
  moe.set_state @w, %v : tensor<4xf32>
  return
}

// -----

moe.state @m : tensor<4xf32>
// No implicit casts on store.
func.func @negative_set_state_type(%v: tensor<4xf64>) {
  // expected-error @+1 {{'moe.set_state' op value type 'tensor<4xf64>' does not match the type 'tensor<4xf32>' of state @m}}
  moe.set_state @m, %v : tensor<4xf64>
  return
}
