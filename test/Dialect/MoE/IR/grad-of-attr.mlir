// RUN: moefold-opt %s | moefold-opt | FileCheck %s

moe.param @final_norm : tensor<64xf32> family = norm

// CHECK-LABEL: func.func @grad_of_result
// CHECK-SAME: -> (tensor<f32> {moe.loss}, tensor<64xf32> {moe.grad_of = @final_norm})
// A gradient function's results: the loss, then one gradient per parameter.
func.func @grad_of_result(%l: tensor<f32>, %g: tensor<64xf32>) -> (tensor<f32> {moe.loss}, tensor<64xf32> {moe.grad_of = @final_norm}) {
  return %l, %g : tensor<f32>, tensor<64xf32>
}
