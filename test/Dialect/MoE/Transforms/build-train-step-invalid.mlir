// RUN: moefold-opt %s -split-input-file --moe-build-train-step -verify-diagnostics

// Nothing to train without parameters.
// expected-error @+1 {{moe-build-train-step: the module declares no moe.param: nothing to train}}
module {
  func.func @negative_build_train_step_no_params(%l: tensor<f32>) -> (tensor<f32> {moe.loss}) {
    return %l : tensor<f32>
  }
}

// -----

// The pass trains with a gradient function; a bare loss function means
// moe-autodiff has not run.
// expected-error @+1 {{moe-build-train-step: no gradient function in the module: run moe-autodiff first}}
module {
  moe.param @w : tensor<4xf32> family = norm
  func.func @negative_build_train_step_no_grad(%l: tensor<f32>) -> (tensor<f32> {moe.loss}) {
    return %l : tensor<f32>
  }
}

// -----

// With two gradient functions the choice must be explicit.
// expected-error @+1 {{moe-build-train-step: 2 gradient functions (@negative_build_train_step_a_grad, @negative_build_train_step_b_grad); choose one with loss-fn}}
module {
  moe.param @w : tensor<4xf32> family = norm
  func.func @negative_build_train_step_a_grad(%l: tensor<f32>, %g: tensor<4xf32>) -> (tensor<f32> {moe.loss}, tensor<4xf32> {moe.grad_of = @w}) {
    return %l, %g : tensor<f32>, tensor<4xf32>
  }
  func.func @negative_build_train_step_b_grad(%l: tensor<f32>, %g: tensor<4xf32>) -> (tensor<f32> {moe.loss}, tensor<4xf32> {moe.grad_of = @w}) {
    return %l, %g : tensor<f32>, tensor<4xf32>
  }
}

// -----

moe.param @w : tensor<4xf32> family = norm
moe.param @v : tensor<4xf32> family = norm
// A parameter declared after moe-autodiff ran has no gradient.
// expected-error @+1 {{gradient function @negative_build_train_step_stale_grad returns 1 gradients but the module declares 2 parameters; re-run moe-autodiff}}
func.func @negative_build_train_step_stale_grad(%l: tensor<f32>, %g: tensor<4xf32>) -> (tensor<f32> {moe.loss}, tensor<4xf32> {moe.grad_of = @w}) {
  return %l, %g : tensor<f32>, tensor<4xf32>
}

// -----

moe.param @w : tensor<4xf32> family = norm
moe.param @v : tensor<4xf32> family = norm
// Gradients must follow the declaration order (reordered parameters).
// expected-error @+1 {{result #1 of @negative_build_train_step_order_grad is the gradient of @v, but parameter #0 in declaration order is @w; re-run moe-autodiff}}
func.func @negative_build_train_step_order_grad(%l: tensor<f32>, %g: tensor<4xf32>) -> (tensor<f32> {moe.loss}, tensor<4xf32> {moe.grad_of = @v}, tensor<4xf32> {moe.grad_of = @w}) {
  return %l, %g, %g : tensor<f32>, tensor<4xf32>, tensor<4xf32>
}

// -----

moe.param @w : tensor<4xf32> family = norm
// The gradient buffer's name is taken by another symbol.
// expected-error @+1 {{moe-build-train-step: cannot declare @grad.w: the symbol already exists}}
moe.state @grad.w : tensor<4xf32>
func.func @negative_build_train_step_taken_grad(%l: tensor<f32>, %g: tensor<4xf32>) -> (tensor<f32> {moe.loss}, tensor<4xf32> {moe.grad_of = @w}) {
  return %l, %g : tensor<f32>, tensor<4xf32>
}

// -----

moe.param @w : tensor<4xf32> family = norm
func.func @negative_build_train_step_twice_grad(%l: tensor<f32>, %g: tensor<4xf32>) -> (tensor<f32> {moe.loss}, tensor<4xf32> {moe.grad_of = @w}) {
  return %l, %g : tensor<f32>, tensor<4xf32>
}
// The step already exists (the pass ran before).
// expected-error @+1 {{moe-build-train-step: cannot declare @moefold_train_step: the symbol already exists}}
func.func @moefold_train_step() {
  return
}
