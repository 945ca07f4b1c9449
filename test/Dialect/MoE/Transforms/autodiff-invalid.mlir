// RUN: moefold-opt %s -split-input-file --moe-autodiff -verify-diagnostics

// A module without a loss has nothing to differentiate: a pipeline that
// forgot the {moe.loss} marker must not silently train nothing.
// expected-error @+1 {{moe-autodiff: no function has a result marked {moe.loss}; nothing to differentiate}}
module {
  func.func @negative_autodiff_no_loss(%x: tensor<f32>) -> tensor<f32> {
    return %x : tensor<f32>
  }
}

// -----

// Two losses in one function are rejected by the dialect before the pass
// runs: the gradient of "the loss" would be ambiguous.
// expected-error @+1 {{'moe.loss' marks results #0 and #1; a function has at most one loss}}
func.func @negative_autodiff_two_losses(%a: tensor<f32>, %b: tensor<f32>) -> (tensor<f32> {moe.loss}, tensor<f32> {moe.loss}) {
  return %a, %b : tensor<f32>, tensor<f32>
}

// -----

moe.param @w : tensor<4x4xf32> family = dense

// An op in the loss's backward slice without a VJP rule is named.
func.func @negative_autodiff_no_rule(%x: tensor<1x2x4xf32>, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %w = moe.get_param @w : tensor<4x4xf32>
  %l = moe.linear %x, %w : tensor<1x2x4xf32>, tensor<4x4xf32>
  // expected-error @+1 {{'tensor.extract_slice' has no VJP rule: cannot differentiate @negative_autodiff_no_rule}}
  %s = tensor.extract_slice %l[0, 0, 0] [1, 2, 2] [1, 1, 1] : tensor<1x2x4xf32> to tensor<1x2x2xf32>
  %ce = moe.cross_entropy %s, %targets : tensor<1x2x2xf32>, tensor<1x2xi32>
  return %ce : tensor<f32>
}

// -----

// A scalar round trip through tensor.extract is not differentiable either;
// the first op met walking back from the loss is reported.
func.func @negative_autodiff_extract(%x: tensor<1x2x4xf32>, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %ce = moe.cross_entropy %x, %targets : tensor<1x2x4xf32>, tensor<1x2xi32>
  %e = tensor.extract %ce[] : tensor<f32>
  // expected-error @+1 {{'tensor.from_elements' has no VJP rule: cannot differentiate @negative_autodiff_extract}}
  %l = tensor.from_elements %e : tensor<f32>
  return %l : tensor<f32>
}

// -----

// Control flow across blocks is not supported (one block only); here the
// second block is unreachable, which is still more than one block.
// expected-error @+1 {{control flow (2 blocks) is not supported: cannot differentiate @negative_autodiff_blocks}}
func.func @negative_autodiff_blocks(%x: tensor<f32>) -> (tensor<f32> {moe.loss}) {
  return %x : tensor<f32>
^bb1:
  return %x : tensor<f32>
}

// -----

// A region op on the gradient's path is control flow too.
func.func @negative_autodiff_region(%x: tensor<f32>, %y: tensor<f32>) -> (tensor<f32> {moe.loss}) {
  // expected-error @+1 {{control flow ('scf.execute_region') is not supported: cannot differentiate @negative_autodiff_region}}
  %r = scf.execute_region -> tensor<f32> {
    %s = moe.add %x, %y : tensor<f32>
    scf.yield %s : tensor<f32>
  }
  return %r : tensor<f32>
}

// -----

// The gradient function's name must be free.
// expected-error @+1 {{cannot create the gradient function @negative_autodiff_taken_grad: the symbol already exists}}
func.func @negative_autodiff_taken(%x: tensor<f32>) -> (tensor<f32> {moe.loss}) {
  return %x : tensor<f32>
}
func.func @negative_autodiff_taken_grad(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}

// -----

// moe.combine does not carry num_experts; without a router or dispatch
// sharing its indices the row order of its gradient is unknown.
func.func @negative_autodiff_combine_experts(%rows: tensor<4x4xf32>, %indices: tensor<1x2x2xi32>, %scores: tensor<1x2x2xf32>, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  // expected-error @+1 {{'moe.combine' op cannot determine num_experts for the gradient: its indices come from no moe.router and feed no moe.dispatch or moe.aux_loss}}
  %y = moe.combine %rows, %indices, %scores : tensor<4x4xf32>, tensor<1x2x2xi32>, tensor<1x2x2xf32>
  %ce = moe.cross_entropy %y, %targets : tensor<1x2x4xf32>, tensor<1x2xi32>
  return %ce : tensor<f32>
}
