// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The loss is a scalar; a per-token loss cannot seed the backward pass.
// expected-error @+1 {{'moe.loss' result #0 must be a 0-d float tensor, got 'tensor<2x16xf32>'}}
func.func @negative_loss_attr_not_scalar(%l: tensor<2x16xf32>) -> (tensor<2x16xf32> {moe.loss}) {
  return %l : tensor<2x16xf32>
}

// -----

// An integer result is not differentiable.
// expected-error @+1 {{'moe.loss' result #0 must be a 0-d float tensor, got 'tensor<i32>'}}
func.func @negative_loss_attr_integer(%l: tensor<i32>) -> (tensor<i32> {moe.loss}) {
  return %l : tensor<i32>
}

// -----

// A bare f32 is not a tensor.
// expected-error @+1 {{'moe.loss' result #1 must be a 0-d float tensor, got 'f32'}}
func.func @negative_loss_attr_bare_float(%h: tensor<4xf32>, %l: f32) -> (tensor<4xf32>, f32 {moe.loss}) {
  return %h, %l : tensor<4xf32>, f32
}

// -----

// The marker carries no value (no loss weights or names).
// expected-error @+1 {{'moe.loss' must be a unit attribute, got 1.000000e+00 : f32}}
func.func @negative_loss_attr_value(%l: tensor<f32>) -> (tensor<f32> {moe.loss = 1.0 : f32}) {
  return %l : tensor<f32>
}

// -----

// Two losses are ambiguous: sum them with moe.add and mark the sum.
// expected-error @+1 {{'moe.loss' marks results #0 and #1; a function has at most one loss}}
func.func @negative_loss_attr_twice(%a: tensor<f32>, %b: tensor<f32>) -> (tensor<f32> {moe.loss}, tensor<f32> {moe.loss}) {
  return %a, %b : tensor<f32>, tensor<f32>
}

// -----

// Misspelled moe result attributes are caught, not ignored.
// expected-error @+1 {{unknown moe result attribute 'moe.losss'}}
func.func @negative_loss_attr_unknown(%l: tensor<f32>) -> (tensor<f32> {moe.losss}) {
  return %l : tensor<f32>
}
