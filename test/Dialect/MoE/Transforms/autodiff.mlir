// RUN: moefold-opt %s -split-input-file --moe-autodiff | FileCheck %s

// The structure of the gradient functions moe-autodiff builds: signature,
// result order, seeding, accumulation and zero gradients.

moe.param @a : tensor<4x4xf32> family = dense
moe.param @unused : tensor<3xf32> family = norm
moe.param @b : tensor<4x4xf32> family = dense

// CHECK-LABEL: func.func @autodiff_order_and_zeros(
// CHECK-LABEL: func.func @autodiff_order_and_zeros_grad(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x2x4xf32> {test.arg}
// CHECK-SAME: %[[T:[^:]*]]: tensor<1x2xi32>)
// CHECK-SAME: -> (tensor<f32> {moe.loss}, tensor<4x4xf32> {moe.grad_of = @a}, tensor<3xf32> {moe.grad_of = @unused}, tensor<4x4xf32> {moe.grad_of = @b})
// CHECK: %[[B:.*]] = moe.get_param @b
// CHECK: %[[A:.*]] = moe.get_param @a
// CHECK: %[[H:.*]] = moe.linear %[[X]], %[[B]]
// CHECK: %[[L:.*]] = moe.linear %[[H]], %[[A]]
// CHECK: %[[CE:.*]] = moe.cross_entropy %[[L]], %[[T]]
// CHECK: %[[SEED:.*]] = moe.fill 1.000000e+00 : tensor<f32>
// CHECK: %[[DL:.*]] = moe.cross_entropy_grad %[[L]], %[[T]], %[[SEED]]
// CHECK: %[[DH:.*]], %[[DA:.*]] = moe.linear_grad %[[H]], %[[A]], %[[DL]]
// CHECK: %{{.*}}, %[[DB:.*]] = moe.linear_grad %[[X]], %[[B]], %[[DH]]
// CHECK: %[[ZERO:.*]] = moe.fill 0.000000e+00 : tensor<3xf32>
// CHECK: return %[[CE]], %[[DA]], %[[ZERO]], %[[DB]] : tensor<f32>, tensor<4x4xf32>, tensor<3xf32>, tensor<4x4xf32>
// Results follow the declaration order of the parameters (not the order of
// use); argument attributes are kept; a parameter the function never reads
// gets a zero gradient; x's own gradient is dead and dropped.
func.func @autodiff_order_and_zeros(%x: tensor<1x2x4xf32> {test.arg}, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %b = moe.get_param @b : tensor<4x4xf32>
  %a = moe.get_param @a : tensor<4x4xf32>
  %h = moe.linear %x, %b : tensor<1x2x4xf32>, tensor<4x4xf32>
  %l = moe.linear %h, %a : tensor<1x2x4xf32>, tensor<4x4xf32>
  %ce = moe.cross_entropy %l, %targets : tensor<1x2x4xf32>, tensor<1x2xi32>
  return %ce : tensor<f32>
}

// -----

moe.param @w : tensor<4x4xf32> family = dense

// CHECK-LABEL: func.func @autodiff_param_read_twice_grad
// CHECK: %[[W1:.*]] = moe.get_param @w
// CHECK: %[[W2:.*]] = moe.get_param @w
// CHECK: %[[H:.*]] = moe.linear %[[X:.*]], %[[W1]]
// CHECK: %[[R:.*]] = moe.add %[[X]], %[[H]]
// CHECK: %[[L:.*]] = moe.linear %[[R]], %[[W2]]
// CHECK: %[[DR:.*]], %[[DW2:.*]] = moe.linear_grad %[[R]], %[[W2]], %{{.*}}
// CHECK: %{{.*}}, %[[DW1:.*]] = moe.linear_grad %[[X]], %[[W1]], %[[DR]]
// CHECK: %[[DW:.*]] = moe.add %[[DW2]], %[[DW1]] : tensor<4x4xf32>
// CHECK: return %{{.*}}, %[[DW]]
// A parameter read twice (e.g. tied weights) gets the sum of both
// gradients; the residual add passes dr to both of its operands.
func.func @autodiff_param_read_twice(%x: tensor<1x2x4xf32>, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %w1 = moe.get_param @w : tensor<4x4xf32>
  %w2 = moe.get_param @w : tensor<4x4xf32>
  %h = moe.linear %x, %w1 : tensor<1x2x4xf32>, tensor<4x4xf32>
  %r = moe.add %x, %h : tensor<1x2x4xf32>
  %l = moe.linear %r, %w2 : tensor<1x2x4xf32>, tensor<4x4xf32>
  %ce = moe.cross_entropy %l, %targets : tensor<1x2x4xf32>, tensor<1x2xi32>
  return %ce : tensor<f32>
}

// -----

moe.param @w : tensor<4x4xf32> family = dense

// CHECK-LABEL: func.func @autodiff_value_used_twice_grad
// CHECK: %[[H:.*]] = moe.linear %[[X:.*]], %[[W:.*]] :
// CHECK: %[[CE1:.*]] = moe.cross_entropy %[[H]]
// CHECK: %[[CE2:.*]] = moe.cross_entropy %[[H]]
// CHECK: %[[SEED:.*]] = moe.fill 1.000000e+00
// CHECK: %[[D2:.*]] = moe.cross_entropy_grad %[[H]], %{{.*}}, %[[SEED]]
// CHECK: %[[D1:.*]] = moe.cross_entropy_grad %[[H]], %{{.*}}, %[[SEED]]
// CHECK: %[[DH:.*]] = moe.add %[[D2]], %[[D1]] : tensor<1x2x4xf32>
// CHECK: moe.linear_grad %[[X]], %[[W]], %[[DH]]
// An activation consumed twice: the consumers' gradients are summed
// (later consumer first, since the backward walks in reverse) before they
// reach the producer.
func.func @autodiff_value_used_twice(%x: tensor<1x2x4xf32>, %t1: tensor<1x2xi32>, %t2: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %w = moe.get_param @w : tensor<4x4xf32>
  %h = moe.linear %x, %w : tensor<1x2x4xf32>, tensor<4x4xf32>
  %ce1 = moe.cross_entropy %h, %t1 : tensor<1x2x4xf32>, tensor<1x2xi32>
  %ce2 = moe.cross_entropy %h, %t2 : tensor<1x2x4xf32>, tensor<1x2xi32>
  %loss = moe.add %ce1, %ce2 : tensor<f32>
  return %loss : tensor<f32>
}

// -----

moe.param @w : tensor<4x4xf64> family = dense

// CHECK-LABEL: func.func @autodiff_extra_results_grad
// CHECK-SAME: -> (tensor<f64> {moe.loss}, tensor<4x4xf64> {moe.grad_of = @w})
// CHECK: %[[CE:.*]] = moe.cross_entropy
// CHECK: moe.fill 1.000000e+00 : tensor<f64>
// CHECK: return %[[CE]], %{{.*}} : tensor<f64>, tensor<4x4xf64>
// The loss may be any result; other results (metrics) are not returned by
// the gradient function. An f64 loss is seeded with an f64 one.
func.func @autodiff_extra_results(%x: tensor<1x2x4xf64>, %targets: tensor<1x2xi32>) -> (tensor<1x2x4xf64>, tensor<f64> {moe.loss}) {
  %w = moe.get_param @w : tensor<4x4xf64>
  %l = moe.linear %x, %w : tensor<1x2x4xf64>, tensor<4x4xf64>
  %ce = moe.cross_entropy %l, %targets : tensor<1x2x4xf64>, tensor<1x2xi32>
  return %l, %ce : tensor<1x2x4xf64>, tensor<f64>
}

// -----

moe.param @w : tensor<4x4xf32> family = dense

// CHECK-LABEL: func.func @autodiff_constant_absorbs_grad
// CHECK: %[[C:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[LOSS:.*]] = moe.add %{{.*}}, %[[C]]
// CHECK: moe.linear_grad
// CHECK-NOT: arith
// CHECK: return %[[LOSS]]
// Ops without float-tensor operands (here a constant) absorb the gradient.
func.func @autodiff_constant_absorbs(%x: tensor<1x2x4xf32>, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %w = moe.get_param @w : tensor<4x4xf32>
  %l = moe.linear %x, %w : tensor<1x2x4xf32>, tensor<4x4xf32>
  %ce = moe.cross_entropy %l, %targets : tensor<1x2x4xf32>, tensor<1x2xi32>
  %c = arith.constant dense<1.0> : tensor<f32>
  %loss = moe.add %ce, %c : tensor<f32>
  return %loss : tensor<f32>
}

// -----

moe.param @w : tensor<4xf32> family = norm

// CHECK-LABEL: func.func @autodiff_independent_loss_grad
// CHECK-SAME: (%[[L:[^:]*]]: tensor<f32>)
// CHECK-NEXT: moe.get_param @w
// CHECK-NEXT: %[[ZERO:.*]] = moe.fill 0.000000e+00 : tensor<4xf32>
// CHECK-NEXT: return %[[L]], %[[ZERO]]
// A loss that depends on no parameter: every gradient is zero (the unused
// seed is dropped).
func.func @autodiff_independent_loss(%l: tensor<f32>) -> (tensor<f32> {moe.loss}) {
  %w = moe.get_param @w : tensor<4xf32>
  return %l : tensor<f32>
}

// -----

moe.param @w : tensor<4xf32> family = norm

// CHECK-LABEL: func.func @autodiff_first(
// CHECK-LABEL: func.func @autodiff_first_grad(
// CHECK-LABEL: func.func @autodiff_second(
// CHECK-LABEL: func.func @autodiff_second_grad(
// CHECK-LABEL: func.func @autodiff_already_grad(
// CHECK-NOT: func.func @autodiff_already_grad_grad
// CHECK-LABEL: func.func @autodiff_no_loss(
// CHECK-NOT: func.func
// Every loss function gets its own gradient function, right after it;
// gradient functions (results marked moe.grad_of) and functions without a
// loss are left alone.
func.func @autodiff_first(%l: tensor<f32>) -> (tensor<f32> {moe.loss}) {
  return %l : tensor<f32>
}
func.func @autodiff_second(%l: tensor<f32>) -> (tensor<f32> {moe.loss}) {
  return %l : tensor<f32>
}
func.func @autodiff_already_grad(%l: tensor<f32>, %g: tensor<4xf32>) -> (tensor<f32> {moe.loss}, tensor<4xf32> {moe.grad_of = @w}) {
  return %l, %g : tensor<f32>, tensor<4xf32>
}
func.func @autodiff_no_loss(%l: tensor<f32>) -> tensor<f32> {
  return %l : tensor<f32>
}
