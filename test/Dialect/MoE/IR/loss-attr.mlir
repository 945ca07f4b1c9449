// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @loss_attr_single
// CHECK-SAME: -> (tensor<f32> {moe.loss})
// The loss result is a 0-d float tensor marked with a unit attribute.
func.func @loss_attr_single(%l: tensor<f32>) -> (tensor<f32> {moe.loss}) {
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @loss_attr_with_other_results
// CHECK-SAME: -> (tensor<2x16x64xf32>, tensor<f64> {moe.loss})
// The loss need not be the first result; other results stay unmarked.
func.func @loss_attr_with_other_results(%h: tensor<2x16x64xf32>, %l: tensor<f64>) -> (tensor<2x16x64xf32>, tensor<f64> {moe.loss}) {
  return %h, %l : tensor<2x16x64xf32>, tensor<f64>
}

// CHECK-LABEL: func.func private @loss_attr_declaration
// CHECK-SAME: -> (tensor<bf16> {moe.loss})
// Declarations may carry the marker too.
func.func private @loss_attr_declaration() -> (tensor<bf16> {moe.loss})
