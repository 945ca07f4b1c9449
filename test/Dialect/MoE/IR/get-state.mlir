// RUN: moefold-opt %s | moefold-opt | FileCheck %s

moe.state @adam_m.w : tensor<64x32xf32>

// CHECK-LABEL: func.func @get_state_read
// CHECK: %[[M:.*]] = moe.get_state @adam_m.w : tensor<64x32xf32>
// CHECK: return %[[M]]
// Reading a state yields its declared type.
func.func @get_state_read() -> tensor<64x32xf32> {
  %m = moe.get_state @adam_m.w : tensor<64x32xf32>
  return %m : tensor<64x32xf32>
}
