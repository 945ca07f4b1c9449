// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @embedding_i32
// CHECK-SAME: %[[T:[^:]*]]: tensor<256x64xf32>
// CHECK-SAME: %[[I:[^:]*]]: tensor<2x16xi32>
// CHECK: moe.embedding %[[T]], %[[I]] : tensor<256x64xf32>, tensor<2x16xi32>
// The result [B, S, H] is inferred.
func.func @embedding_i32(%table: tensor<256x64xf32>, %tokens: tensor<2x16xi32>) -> tensor<2x16x64xf32> {
  %0 = moe.embedding %table, %tokens : tensor<256x64xf32>, tensor<2x16xi32>
  return %0 : tensor<2x16x64xf32>
}

// CHECK-LABEL: func.func @embedding_i64_bf16
// CHECK: moe.embedding {{.*}} : tensor<1000x32xbf16>, tensor<4x8xi64>
// i64 token ids and a bf16 table.
func.func @embedding_i64_bf16(%table: tensor<1000x32xbf16>, %tokens: tensor<4x8xi64>) -> tensor<4x8x32xbf16> {
  %0 = moe.embedding %table, %tokens : tensor<1000x32xbf16>, tensor<4x8xi64>
  return %0 : tensor<4x8x32xbf16>
}
