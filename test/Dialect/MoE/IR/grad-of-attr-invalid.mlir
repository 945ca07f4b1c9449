// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The attribute names a parameter by symbol.
// expected-error @+1 {{'moe.grad_of' must be a flat symbol reference, got "w"}}
func.func @negative_grad_of_string(%g: tensor<4xf32>) -> (tensor<4xf32> {moe.grad_of = "w"}) {
  return %g : tensor<4xf32>
}

// -----

// The symbol must exist and be a moe.param.
moe.state @m : tensor<4xf32>
// expected-error @+1 {{'moe.grad_of' of result #0 refers to @m, which is not a 'moe.param'}}
func.func @negative_grad_of_state(%g: tensor<4xf32>) -> (tensor<4xf32> {moe.grad_of = @m}) {
  return %g : tensor<4xf32>
}

// -----

// A gradient has its parameter's type.
moe.param @w : tensor<4xf32> family = norm
// expected-error @+1 {{'moe.grad_of' result #0 has type 'tensor<8xf32>', but parameter @w has type 'tensor<4xf32>'}}
func.func @negative_grad_of_type(%g: tensor<8xf32>) -> (tensor<8xf32> {moe.grad_of = @w}) {
  return %g : tensor<8xf32>
}
