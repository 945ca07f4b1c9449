// Option errors of moe-build-train-step, one RUN line each.
// RUN: not moefold-opt %s --moe-build-train-step="optimizer=adam" 2>&1 | FileCheck %s --check-prefix=OPTIMIZER
// RUN: not moefold-opt %s --moe-build-train-step="beta1=1.0" 2>&1 | FileCheck %s --check-prefix=BETA1
// RUN: not moefold-opt %s --moe-build-train-step="beta2=-0.1" 2>&1 | FileCheck %s --check-prefix=BETA2
// RUN: not moefold-opt %s --moe-build-train-step="epsilon=0" 2>&1 | FileCheck %s --check-prefix=EPSILON
// RUN: not moefold-opt %s --moe-build-train-step="weight-decay=-0.1" 2>&1 | FileCheck %s --check-prefix=DECAY
// RUN: not moefold-opt %s --moe-build-train-step="optimizer=sgd weight-decay=-1" 2>&1 | FileCheck %s --check-prefix=SGDDECAY
// RUN: not moefold-opt %s --moe-build-train-step="max-grad-norm=inf" 2>&1 | FileCheck %s --check-prefix=MAXNORM
// RUN: not moefold-opt %s --moe-build-train-step="loss-fn=missing" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not moefold-opt %s --moe-build-train-step="loss-fn=@options_forward" 2>&1 | FileCheck %s --check-prefix=NOTGRAD
// RUN: moefold-opt %s --moe-build-train-step="optimizer=sgd beta1=7 loss-fn=options_forward_grad" | FileCheck %s --check-prefix=SGDBETA
// RUN: moefold-opt %s --moe-build-train-step="loss-fn=@options_forward_grad" | FileCheck %s --check-prefix=CHOSEN

// A typo in the optimizer name must not fall back to a default.
// OPTIMIZER: error: moe-build-train-step: unknown optimizer 'adam' (expected 'adamw' or 'sgd')
// beta1 = 1 divides by zero in the bias correction.
// BETA1: error: moe-build-train-step: beta1 must be in [0, 1), got 1.000000e+00
// BETA2: error: moe-build-train-step: beta2 must be in [0, 1), got -1.000000e-01
// EPSILON: error: moe-build-train-step: epsilon must be positive and finite, got 0.000000e+00
// Negative weight decay grows the weights, for either optimizer.
// DECAY: error: moe-build-train-step: weight_decay must be non-negative and finite, got -1.000000e-01
// SGDDECAY: error: moe-build-train-step: weight_decay must be non-negative and finite, got -1.000000e+00
// "No clipping" is max-grad-norm <= 0, not infinity.
// MAXNORM: error: moe-build-train-step: max_norm must be finite (<= 0 disables clipping), got INF
// loss-fn names a function that exists ...
// MISSING: error: moe-build-train-step: loss-fn: no function named @missing
// ... and is a gradient function (the leading @ is optional).
// NOTGRAD: error: moe-build-train-step: loss-fn: @options_forward is not a gradient function (moe-autodiff creates @<loss function>_grad, returning the loss and {moe.grad_of} results)
// Betas are AdamW's: SGD ignores them.
// SGDBETA: moe.sgd_step
// Choosing among several gradient functions.
// CHOSEN: func.func @moefold_train_step(%{{.*}}: tensor<f32>, %{{.*}}: tensor<f32>, %{{.*}}: tensor<f32>) -> (tensor<f32>, tensor<f32>, tensor<i1>)
// CHOSEN-NEXT: moe.fill 0.000000e+00

moe.param @w : tensor<4xf32> family = norm
func.func @options_forward(%l: tensor<f32>) -> (tensor<f32> {moe.loss}) {
  return %l : tensor<f32>
}
func.func @options_forward_grad(%l: tensor<f32>) -> (tensor<f32> {moe.loss}, tensor<4xf32> {moe.grad_of = @w}) {
  %g = moe.fill 0.0 : tensor<4xf32>
  return %l, %g : tensor<f32>, tensor<4xf32>
}
func.func @options_other_grad(%l: tensor<f32>) -> (tensor<f32> {moe.loss}, tensor<4xf32> {moe.grad_of = @w}) {
  %g = moe.fill 1.0 : tensor<4xf32>
  return %l, %g : tensor<f32>, tensor<4xf32>
}
