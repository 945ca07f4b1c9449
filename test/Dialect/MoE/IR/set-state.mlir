// RUN: moefold-opt %s | moefold-opt | FileCheck %s

moe.state @adam_m.w : tensor<64x32xf32>

// CHECK-LABEL: func.func @set_state_write
// CHECK-SAME: %[[V:[^:]*]]: tensor<64x32xf32>
// CHECK: moe.set_state @adam_m.w, %[[V]] : tensor<64x32xf32>
// Overwriting a state is a side effect with no result.
func.func @set_state_write(%v: tensor<64x32xf32>) {
  moe.set_state @adam_m.w, %v : tensor<64x32xf32>
  return
}
