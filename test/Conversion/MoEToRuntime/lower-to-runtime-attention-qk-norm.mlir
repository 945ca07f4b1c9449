// RUN: moefold-opt %s --moe-lower-to-runtime | FileCheck %s

// moe.attention with qk_norm calls the _qknorm shims: q, k, v, the two norm
// weights, then num_heads, num_kv_heads (i64), causal (i32), rope_theta and
// epsilon (f64), then the results; the grad op's results are dq, dk, dv,
// dq_norm, dk_norm.

// CHECK-LABEL: func.func private @attention_qk_norm
// CHECK-DAG: %[[NQ:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[NKV:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[CAUSAL:.*]] = arith.constant 1 : i32
// CHECK-DAG: %[[THETA:.*]] = arith.constant 1.000000e+06 : f64
// CHECK-DAG: %[[EPS:.*]] = arith.constant 1.000000e-05 : f64
// CHECK: call @mfrt_mlir_attention_qknorm_fwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[NQ]], %[[NKV]], %[[CAUSAL]], %[[THETA]], %[[EPS]], %{{.*}}) : (memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, i32, f64, f64, memref<*xf32>) -> ()
func.func private @attention_qk_norm(%q: tensor<1x4x16xf32>, %k: tensor<1x4x8xf32>, %v: tensor<1x4x8xf32>, %qn: tensor<4xf32>, %kn: tensor<4xf32>) -> tensor<1x4x16xf32> {
  %a = moe.attention %q, %k, %v qk_norm %qn, %kn num_heads = 4 num_kv_heads = 2 causal rope_theta = 1.0e+06 epsilon = 1.0e-05 : tensor<1x4x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<4xf32>, tensor<4xf32>
  return %a : tensor<1x4x16xf32>
}

// Absent epsilon is the default 1e-6; absent rope_theta is 0 (none).
// CHECK-LABEL: func.func private @attention_qk_norm_grad
// CHECK-DAG: %[[NOROPE:.*]] = arith.constant 0.000000e+00 : f64
// CHECK-DAG: %[[EPS:.*]] = arith.constant 9.9999999999999995E-7 : f64
// CHECK: call @mfrt_mlir_attention_qknorm_bwd_f64(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[NOROPE]], %[[EPS]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<*xf64>, memref<*xf64>, memref<*xf64>, memref<*xf64>, memref<*xf64>, memref<*xf64>, i64, i64, i32, f64, f64, memref<*xf64>, memref<*xf64>, memref<*xf64>, memref<*xf64>, memref<*xf64>) -> ()
func.func private @attention_qk_norm_grad(%q: tensor<1x4x16xf64>, %k: tensor<1x4x4xf64>, %v: tensor<1x4x4xf64>, %dout: tensor<1x4x16xf64>, %qn: tensor<4xf64>, %kn: tensor<4xf64>) -> tensor<4xf64> {
  %dq, %dk, %dv, %dn:2 = moe.attention_grad %q, %k, %v, %dout qk_norm %qn, %kn num_heads = 4 num_kv_heads = 1 : tensor<1x4x16xf64>, tensor<1x4x4xf64>, tensor<1x4x4xf64>, tensor<4xf64>, tensor<4xf64>
  return %dn#1 : tensor<4xf64>
}
