// RUN: moefold-opt %s | moefold-opt | FileCheck %s
// RUN: moefold-opt %s --mlir-print-op-generic | moefold-opt | FileCheck %s

// Qwen3's per-head q/k RMSNorm: two [D] weights (D = 64 / 4 = 16).
// CHECK-LABEL: func.func @attention_qk_norm
// CHECK-SAME: %[[Q:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[K:[^:]*]]: tensor<2x16x32xf32>
// CHECK-SAME: %[[V:[^:]*]]: tensor<2x16x32xf32>
// CHECK-SAME: %[[QN:[^:]*]]: tensor<16xf32>
// CHECK-SAME: %[[KN:[^:]*]]: tensor<16xf32>
// CHECK: moe.attention %[[Q]], %[[K]], %[[V]] qk_norm %[[QN]], %[[KN]] num_heads = 4 num_kv_heads = 2 causal rope_theta = 1.000000e+06 epsilon = 1.000000e-05 :
// CHECK-SAME: tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<16xf32>, tensor<16xf32>
func.func @attention_qk_norm(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xf32>, %v: tensor<2x16x32xf32>, %qn: tensor<16xf32>, %kn: tensor<16xf32>) -> tensor<2x16x64xf32> {
  %0 = moe.attention %q, %k, %v qk_norm %qn, %kn num_heads = 4 num_kv_heads = 2 causal rope_theta = 1.0e+06 epsilon = 1.0e-05 : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<16xf32>, tensor<16xf32>
  return %0 : tensor<2x16x64xf32>
}

// epsilon is optional (default 1e-6, not printed); no rope needed.
// CHECK-LABEL: func.func @attention_qk_norm_default_epsilon
// CHECK: moe.attention %{{.*}}, %{{.*}}, %{{.*}} qk_norm %{{.*}}, %{{.*}} num_heads = 2 num_kv_heads = 2 : tensor<1x4x8xf64>, tensor<1x4x8xf64>, tensor<1x4x8xf64>, tensor<4xf64>, tensor<4xf64>
// CHECK-NOT: epsilon
func.func @attention_qk_norm_default_epsilon(%q: tensor<1x4x8xf64>, %w: tensor<4xf64>) -> tensor<1x4x8xf64> {
  %0 = moe.attention %q, %q, %q qk_norm %w, %w num_heads = 2 num_kv_heads = 2 : tensor<1x4x8xf64>, tensor<1x4x8xf64>, tensor<1x4x8xf64>, tensor<4xf64>, tensor<4xf64>
  return %0 : tensor<1x4x8xf64>
}

// The gradient op returns dq_norm and dk_norm after dq, dk, dv.
// CHECK-LABEL: func.func @attention_grad_qk_norm
// CHECK: %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}}:2 = moe.attention_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} qk_norm %{{.*}}, %{{.*}} num_heads = 4 num_kv_heads = 2 causal rope_theta = 1.000000e+04 epsilon = 1.000000e-05 : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<16xf32>, tensor<16xf32>
func.func @attention_grad_qk_norm(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xf32>, %v: tensor<2x16x32xf32>, %dout: tensor<2x16x64xf32>, %qn: tensor<16xf32>, %kn: tensor<16xf32>) -> (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<16xf32>, tensor<16xf32>) {
  %dq, %dk, %dv, %dqn, %dkn = moe.attention_grad %q, %k, %v, %dout qk_norm %qn, %kn num_heads = 4 num_kv_heads = 2 causal rope_theta = 1.0e+04 epsilon = 1.0e-05 : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<16xf32>, tensor<16xf32>
  return %dq, %dk, %dv, %dqn, %dkn : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<16xf32>, tensor<16xf32>
}
