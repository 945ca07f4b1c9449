// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @global_norm_mixed
// CHECK-SAME: %[[A:[^:]*]]: tensor<256x64xf32>
// CHECK-SAME: %[[B:[^:]*]]: tensor<64xbf16>
// CHECK: %[[N:.*]] = moe.global_norm %[[A]], %[[B]] : tensor<256x64xf32>, tensor<64xbf16>
// CHECK: return %[[N]] : tensor<f32>
// Gradients of any shape and float type; the norm is always tensor<f32>.
func.func @global_norm_mixed(%a: tensor<256x64xf32>, %b: tensor<64xbf16>) -> tensor<f32> {
  %n = moe.global_norm %a, %b : tensor<256x64xf32>, tensor<64xbf16>
  return %n : tensor<f32>
}

// CHECK-LABEL: func.func @global_norm_single
// CHECK: moe.global_norm %{{.*}} : tensor<8x64x128xf64>
// One gradient is enough.
func.func @global_norm_single(%a: tensor<8x64x128xf64>) -> tensor<f32> {
  %n = moe.global_norm %a : tensor<8x64x128xf64>
  return %n : tensor<f32>
}
