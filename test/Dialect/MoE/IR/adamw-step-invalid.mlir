// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// beta1 = 1 never forgets and divides by zero in the bias correction.
func.func @negative_adamw_step_beta1(%p: tensor<4xf32>, %s: tensor<f32>, %a: tensor<i1>) {
  // expected-error @+1 {{'moe.adamw_step' op beta1 must be in [0, 1), got 1.000000e+00}}
  %p2, %m2, %v2 = moe.adamw_step %p, %p, %p, %p, %s, %s, %s, %a beta1 = 1.0 beta2 = 0.95 epsilon = 1.0e-08 weight_decay = 0.1 : tensor<4xf32>
  return
}

// -----

// A negative beta2 makes the second moment negative.
func.func @negative_adamw_step_beta2(%p: tensor<4xf32>, %s: tensor<f32>, %a: tensor<i1>) {
  // expected-error @+1 {{'moe.adamw_step' op beta2 must be in [0, 1), got -5.000000e-01}}
  %p2, %m2, %v2 = moe.adamw_step %p, %p, %p, %p, %s, %s, %s, %a beta1 = 0.9 beta2 = -0.5 epsilon = 1.0e-08 weight_decay = 0.1 : tensor<4xf32>
  return
}

// -----

// epsilon = 0 divides by zero where the second moment is zero.
func.func @negative_adamw_step_epsilon(%p: tensor<4xf32>, %s: tensor<f32>, %a: tensor<i1>) {
  // expected-error @+1 {{'moe.adamw_step' op epsilon must be positive and finite, got 0.000000e+00}}
  %p2, %m2, %v2 = moe.adamw_step %p, %p, %p, %p, %s, %s, %s, %a beta1 = 0.9 beta2 = 0.95 epsilon = 0.0 weight_decay = 0.1 : tensor<4xf32>
  return
}

// -----

// Weight decay is checked as for SGD.
func.func @negative_adamw_step_weight_decay(%p: tensor<4xf32>, %s: tensor<f32>, %a: tensor<i1>) {
  // expected-error @+1 {{'moe.adamw_step' op weight_decay must be non-negative and finite, got -1.000000e+00}}
  %p2, %m2, %v2 = moe.adamw_step %p, %p, %p, %p, %s, %s, %s, %a beta1 = 0.9 beta2 = 0.95 epsilon = 1.0e-08 weight_decay = -1.0 : tensor<4xf32>
  return
}

// -----

// Moments have the parameter's type (only the generic form can differ).
func.func @negative_adamw_step_moment_type(%p: tensor<4xf32>, %m: tensor<4xf64>, %s: tensor<f32>, %a: tensor<i1>) {
  // expected-error @+1 {{'moe.adamw_step' op failed to verify that all of {param, grad, m, v, new_param, new_m, new_v} have same type}}
  %r:3 = "moe.adamw_step"(%p, %p, %m, %p, %s, %s, %s, %a) {beta1 = 0.9 : f64, beta2 = 0.95 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.0 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf64>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<i1>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}
