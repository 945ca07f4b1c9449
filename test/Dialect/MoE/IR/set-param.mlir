// RUN: moefold-opt %s | moefold-opt | FileCheck %s

moe.param @w : tensor<64x32xf32> family = dense

// CHECK-LABEL: func.func @set_param_write
// CHECK-SAME: %[[V:[^:]*]]: tensor<64x32xf32>
// CHECK: moe.set_param @w, %[[V]] : tensor<64x32xf32>
// An optimizer step becomes visible by overwriting the parameter.
func.func @set_param_write(%v: tensor<64x32xf32>) {
  moe.set_param @w, %v : tensor<64x32xf32>
  return
}
