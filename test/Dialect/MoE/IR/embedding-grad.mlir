// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @embedding_grad_table
// CHECK-SAME: %[[T:[^:]*]]: tensor<2x16xi32>
// CHECK-SAME: %[[D:[^:]*]]: tensor<2x16x64xf32>
// CHECK: %[[G:.*]] = moe.embedding_grad %[[T]], %[[D]] : tensor<2x16xi32>, tensor<2x16x64xf32> -> tensor<256x64xf32>
// CHECK: return %[[G]]
// The vocabulary size appears in no operand, so dtable's type is explicit.
func.func @embedding_grad_table(%tokens: tensor<2x16xi32>, %dout: tensor<2x16x64xf32>) -> tensor<256x64xf32> {
  %g = moe.embedding_grad %tokens, %dout : tensor<2x16xi32>, tensor<2x16x64xf32> -> tensor<256x64xf32>
  return %g : tensor<256x64xf32>
}

// CHECK-LABEL: func.func @embedding_grad_i64_tokens
// CHECK: moe.embedding_grad %{{.*}}, %{{.*}} : tensor<1x4xi64>, tensor<1x4x8xf64> -> tensor<10x8xf64>
// i64 token ids and f64 (gradient checks) are accepted like the forward op.
func.func @embedding_grad_i64_tokens(%tokens: tensor<1x4xi64>, %dout: tensor<1x4x8xf64>) -> tensor<10x8xf64> {
  %g = moe.embedding_grad %tokens, %dout : tensor<1x4xi64>, tensor<1x4x8xf64> -> tensor<10x8xf64>
  return %g : tensor<10x8xf64>
}
