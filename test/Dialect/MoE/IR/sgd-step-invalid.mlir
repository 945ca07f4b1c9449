// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Negative weight decay grows the weights.
func.func @negative_sgd_step_weight_decay(%p: tensor<4xf32>, %s: tensor<f32>, %a: tensor<i1>) {
  // expected-error @+1 {{'moe.sgd_step' op weight_decay must be non-negative and finite, got -1.000000e-01}}
  %p2 = moe.sgd_step %p, %p, %s, %s, %a weight_decay = -0.1 : tensor<4xf32>
  return
}

// -----

// The gradient has the parameter's type (only the generic form can differ).
func.func @negative_sgd_step_grad_type(%p: tensor<4xf32>, %g: tensor<4xf64>, %s: tensor<f32>, %a: tensor<i1>) {
  // expected-error @+1 {{'moe.sgd_step' op failed to verify that all of {param, grad, new_param} have same type}}
  %p2 = "moe.sgd_step"(%p, %g, %s, %s, %a) {weight_decay = 0.0 : f64} : (tensor<4xf32>, tensor<4xf64>, tensor<f32>, tensor<f32>, tensor<i1>) -> tensor<4xf32>
  return
}

// -----

// The skip flag is a 0-d i1 tensor.
func.func @negative_sgd_step_apply_type(%p: tensor<4xf32>, %s: tensor<f32>, %a: tensor<1xi1>) {
  // expected-error @+1 {{'moe.sgd_step' op operand #4 must be 0-d tensor of i1, but got 'tensor<1xi1>'}}
  %p2 = "moe.sgd_step"(%p, %p, %s, %s, %a) {weight_decay = 0.0 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<1xi1>) -> tensor<4xf32>
  return
}
