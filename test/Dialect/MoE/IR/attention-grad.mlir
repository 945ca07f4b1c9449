// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @attention_grad_gqa
// CHECK-SAME: %[[Q:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[K:[^:]*]]: tensor<2x16x32xf32>
// CHECK-SAME: %[[V:[^:]*]]: tensor<2x16x32xf32>
// CHECK-SAME: %[[D:[^:]*]]: tensor<2x16x64xf32>
// CHECK: %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = moe.attention_grad %[[Q]], %[[K]], %[[V]], %[[D]] num_heads = 4 num_kv_heads = 2 causal : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
// CHECK: return %[[DQ]], %[[DK]], %[[DV]] : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
// Grouped KV heads: dk and dv are narrower than dq.
func.func @attention_grad_gqa(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xf32>, %v: tensor<2x16x32xf32>, %dout: tensor<2x16x64xf32>) -> (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>) {
  %dq, %dk, %dv = moe.attention_grad %q, %k, %v, %dout num_heads = 4 num_kv_heads = 2 causal : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
  return %dq, %dk, %dv : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
}

// CHECK-LABEL: func.func @attention_grad_not_causal
// CHECK: moe.attention_grad {{.*}} num_heads = 2 num_kv_heads = 2 : tensor<1x4x8xf64>
// Without `causal` nothing is printed.
func.func @attention_grad_not_causal(%q: tensor<1x4x8xf64>, %dout: tensor<1x4x8xf64>) -> tensor<1x4x8xf64> {
  %dq, %dk, %dv = moe.attention_grad %q, %q, %q, %dout num_heads = 2 num_kv_heads = 2 : tensor<1x4x8xf64>, tensor<1x4x8xf64>, tensor<1x4x8xf64>
  return %dq : tensor<1x4x8xf64>
}
