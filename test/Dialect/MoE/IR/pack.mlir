// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @bucket_roundtrip
// CHECK: %[[B:.*]] = moe.pack %arg0, %arg1 : tensor<4x8xf32>, tensor<8xf32> -> tensor<40xf32>
// CHECK: moe.unpack %[[B]] : tensor<40xf32> -> tensor<4x8xf32>, tensor<8xf32>
func.func @bucket_roundtrip(%a: tensor<4x8xf32>, %b: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<8xf32>) {
  %bucket = moe.pack %a, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<40xf32>
  %x, %y = moe.unpack %bucket : tensor<40xf32> -> tensor<4x8xf32>, tensor<8xf32>
  return %x, %y : tensor<4x8xf32>, tensor<8xf32>
}

// CHECK-LABEL: func.func @single_f64
// CHECK: moe.pack %arg0 : tensor<2x3xf64> -> tensor<6xf64>
func.func @single_f64(%a: tensor<2x3xf64>) -> tensor<6xf64> {
  %bucket = moe.pack %a : tensor<2x3xf64> -> tensor<6xf64>
  return %bucket : tensor<6xf64>
}
