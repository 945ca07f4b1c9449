// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @attention_gqa_causal
// CHECK-SAME: %[[Q:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[K:[^:]*]]: tensor<2x16x32xf32>
// CHECK-SAME: %[[V:[^:]*]]: tensor<2x16x32xf32>
// CHECK: moe.attention %[[Q]], %[[K]], %[[V]] num_heads = 4 num_kv_heads = 2 causal :
// CHECK-SAME: tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
// Grouped-query attention: 4 query heads share 2 kv heads of dim 16.
func.func @attention_gqa_causal(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xf32>, %v: tensor<2x16x32xf32>) -> tensor<2x16x64xf32> {
  %0 = moe.attention %q, %k, %v num_heads = 4 num_kv_heads = 2 causal : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
  return %0 : tensor<2x16x64xf32>
}

// CHECK-LABEL: func.func @attention_mha_bidirectional
// CHECK: moe.attention {{.*}} num_heads = 8 num_kv_heads = 8 :
// Plain multi-head attention without the causal mask.
func.func @attention_mha_bidirectional(%q: tensor<1x4x64xf32>) -> tensor<1x4x64xf32> {
  %0 = moe.attention %q, %q, %q num_heads = 8 num_kv_heads = 8 : tensor<1x4x64xf32>, tensor<1x4x64xf32>, tensor<1x4x64xf32>
  return %0 : tensor<1x4x64xf32>
}

// CHECK-LABEL: func.func @attention_mqa
// CHECK: moe.attention {{.*}} num_heads = 4 num_kv_heads = 1 causal :
// Multi-query attention: one kv head.
func.func @attention_mqa(%q: tensor<2x8x64xbf16>, %kv: tensor<2x8x16xbf16>) -> tensor<2x8x64xbf16> {
  %0 = moe.attention %q, %kv, %kv num_heads = 4 num_kv_heads = 1 causal : tensor<2x8x64xbf16>, tensor<2x8x16xbf16>, tensor<2x8x16xbf16>
  return %0 : tensor<2x8x64xbf16>
}
