// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @linear_3d
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[W:[^:]*]]: tensor<64x32xf32>
// CHECK: %[[R:.*]] = moe.linear %[[X]], %[[W]] : tensor<2x16x64xf32>, tensor<64x32xf32>
// CHECK: return %[[R]] : tensor<2x16x32xf32>
// Leading dims pass through; the last one becomes N.
func.func @linear_3d(%x: tensor<2x16x64xf32>, %w: tensor<64x32xf32>) -> tensor<2x16x32xf32> {
  %0 = moe.linear %x, %w : tensor<2x16x64xf32>, tensor<64x32xf32>
  return %0 : tensor<2x16x32xf32>
}

// CHECK-LABEL: func.func @linear_vector
// CHECK: moe.linear {{.*}} : tensor<64xf32>, tensor<64x256xf32>
// A rank-1 input is a single row.
func.func @linear_vector(%x: tensor<64xf32>, %w: tensor<64x256xf32>) -> tensor<256xf32> {
  %0 = moe.linear %x, %w : tensor<64xf32>, tensor<64x256xf32>
  return %0 : tensor<256xf32>
}

// CHECK-LABEL: func.func @linear_generic
// CHECK: moe.linear {{.*}} : tensor<8x4xbf16>, tensor<4x2xbf16>
// The generic form with the matching result type prints in the short form.
func.func @linear_generic(%x: tensor<8x4xbf16>, %w: tensor<4x2xbf16>) -> tensor<8x2xbf16> {
  %0 = "moe.linear"(%x, %w) : (tensor<8x4xbf16>, tensor<4x2xbf16>) -> tensor<8x2xbf16>
  return %0 : tensor<8x2xbf16>
}
