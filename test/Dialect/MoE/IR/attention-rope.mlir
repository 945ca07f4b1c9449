// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @attention_rope_gqa_causal
// CHECK-SAME: %[[Q:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[K:[^:]*]]: tensor<2x16x32xf32>
// CHECK-SAME: %[[V:[^:]*]]: tensor<2x16x32xf32>
// CHECK: moe.attention %[[Q]], %[[K]], %[[V]] num_heads = 4 num_kv_heads = 2 causal rope_theta = 1.000000e+04 :
// CHECK-SAME: tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
// Rotary embeddings with the usual base on a GQA layer (D = 16, even).
func.func @attention_rope_gqa_causal(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xf32>, %v: tensor<2x16x32xf32>) -> tensor<2x16x64xf32> {
  %0 = moe.attention %q, %k, %v num_heads = 4 num_kv_heads = 2 causal rope_theta = 1.0e+04 : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
  return %0 : tensor<2x16x64xf32>
}

// CHECK-LABEL: func.func @attention_rope_not_causal
// CHECK: moe.attention {{.*}} num_heads = 2 num_kv_heads = 2 rope_theta = 1.000000e+06 :
// rope_theta does not need `causal`; Mixtral's base 1e6.
func.func @attention_rope_not_causal(%q: tensor<1x4x8xf64>) -> tensor<1x4x8xf64> {
  %0 = moe.attention %q, %q, %q num_heads = 2 num_kv_heads = 2 rope_theta = 1.0e+06 : tensor<1x4x8xf64>, tensor<1x4x8xf64>, tensor<1x4x8xf64>
  return %0 : tensor<1x4x8xf64>
}

// CHECK-LABEL: func.func @attention_no_rope
// CHECK: moe.attention {{.*}} num_heads = 2 num_kv_heads = 2 causal :
// CHECK-NOT: rope_theta
// Absent means no rotary embedding, and nothing is printed.
func.func @attention_no_rope(%q: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %0 = moe.attention %q, %q, %q num_heads = 2 num_kv_heads = 2 causal : tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
  return %0 : tensor<1x4x8xf32>
}

// CHECK-LABEL: func.func @attention_grad_rope
// CHECK-SAME: %[[Q:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[K:[^:]*]]: tensor<2x16x32xf32>
// CHECK-SAME: %[[V:[^:]*]]: tensor<2x16x32xf32>
// CHECK-SAME: %[[D:[^:]*]]: tensor<2x16x64xf32>
// CHECK: moe.attention_grad %[[Q]], %[[K]], %[[V]], %[[D]] num_heads = 4 num_kv_heads = 2 causal rope_theta = 5.000000e+05 : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
// The gradient op carries the forward op's rotary base.
func.func @attention_grad_rope(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xf32>, %v: tensor<2x16x32xf32>, %dout: tensor<2x16x64xf32>) -> (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>) {
  %dq, %dk, %dv = moe.attention_grad %q, %k, %v, %dout num_heads = 4 num_kv_heads = 2 causal rope_theta = 5.0e+05 : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
  return %dq, %dk, %dv : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
}
