// RUN: moefold-opt %s --moe-autodiff | FileCheck %s

// The VJP rule of moe.attention passes rope_theta on to moe.attention_grad
// (the backward must rotate q and k exactly as the forward did).

moe.param @wq : tensor<4x8xf32> family = dense
moe.param @wkv : tensor<4x4xf32> family = dense

// CHECK-LABEL: func.func @vjp_attention_rope_grad
// CHECK: %[[Q:.*]] = moe.linear %{{.*}}, %{{.*}} : tensor<1x3x4xf32>, tensor<4x8xf32>
// CHECK: %[[KV:.*]] = moe.linear %{{.*}}, %{{.*}} : tensor<1x3x4xf32>, tensor<4x4xf32>
// CHECK: %[[A:.*]] = moe.attention %[[Q]], %[[KV]], %[[KV]] num_heads = 2 num_kv_heads = 1 causal rope_theta = 1.000000e+06
// CHECK: %[[DA:.*]] = moe.cross_entropy_grad %[[A]]
// CHECK: moe.attention_grad %[[Q]], %[[KV]], %[[KV]], %[[DA]] num_heads = 2 num_kv_heads = 1 causal rope_theta = 1.000000e+06 :
func.func @vjp_attention_rope(%x: tensor<1x3x4xf32>, %targets: tensor<1x3xi32>) -> (tensor<f32> {moe.loss}) {
  %wq = moe.get_param @wq : tensor<4x8xf32>
  %wkv = moe.get_param @wkv : tensor<4x4xf32>
  %q = moe.linear %x, %wq : tensor<1x3x4xf32>, tensor<4x8xf32>
  %kv = moe.linear %x, %wkv : tensor<1x3x4xf32>, tensor<4x4xf32>
  %a = moe.attention %q, %kv, %kv num_heads = 2 num_kv_heads = 1 causal rope_theta = 1.0e+06 : tensor<1x3x8xf32>, tensor<1x3x4xf32>, tensor<1x3x4xf32>
  %ce = moe.cross_entropy %a, %targets : tensor<1x3x8xf32>, tensor<1x3xi32>
  return %ce : tensor<f32>
}
