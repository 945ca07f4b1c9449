// RUN: moefold-opt %s --moe-autodiff | FileCheck %s

// The VJP rule of moe.attention with qk_norm: moe.attention_grad gets the
// norm weights and epsilon, and its dq_norm, dk_norm are the weights' gradients.

moe.param @wq : tensor<4x8xf32> family = dense
moe.param @wkv : tensor<4x4xf32> family = dense
moe.param @qn : tensor<4xf32> family = norm
moe.param @kn : tensor<4xf32> family = norm

// CHECK-LABEL: func.func @vjp_attention_qk_norm_grad
// CHECK-SAME: tensor<4xf32> {moe.grad_of = @qn}, tensor<4xf32> {moe.grad_of = @kn})
// CHECK: %[[QN:.*]] = moe.get_param @qn
// CHECK: %[[KN:.*]] = moe.get_param @kn
// CHECK: %[[Q:.*]] = moe.linear
// CHECK: %[[KV:.*]] = moe.linear
// CHECK: %[[DA:.*]] = moe.cross_entropy_grad
// CHECK: %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}}, %[[DN:[^ ]*]]:2 = moe.attention_grad %[[Q]], %[[KV]], %[[KV]], %[[DA]] qk_norm %[[QN]], %[[KN]] num_heads = 2 num_kv_heads = 1 causal rope_theta = 1.000000e+06 epsilon = 1.000000e-05 :
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}}, %[[DN]]#0, %[[DN]]#1 :
func.func @vjp_attention_qk_norm(%x: tensor<1x3x4xf32>, %targets: tensor<1x3xi32>) -> (tensor<f32> {moe.loss}) {
  %wq = moe.get_param @wq : tensor<4x8xf32>
  %wkv = moe.get_param @wkv : tensor<4x4xf32>
  %qn = moe.get_param @qn : tensor<4xf32>
  %kn = moe.get_param @kn : tensor<4xf32>
  %q = moe.linear %x, %wq : tensor<1x3x4xf32>, tensor<4x8xf32>
  %kv = moe.linear %x, %wkv : tensor<1x3x4xf32>, tensor<4x4xf32>
  %a = moe.attention %q, %kv, %kv qk_norm %qn, %kn num_heads = 2 num_kv_heads = 1 causal rope_theta = 1.0e+06 epsilon = 1.0e-05 : tensor<1x3x8xf32>, tensor<1x3x4xf32>, tensor<1x3x4xf32>, tensor<4xf32>, tensor<4xf32>
  %ce = moe.cross_entropy %a, %targets : tensor<1x3x8xf32>, tensor<1x3xi32>
  return %ce : tensor<f32>
}
