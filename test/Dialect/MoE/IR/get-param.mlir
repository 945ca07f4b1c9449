// RUN: moefold-opt %s | moefold-opt | FileCheck %s

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
moe.param @layers.0.attn.wq : tensor<64x64xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
moe.param @final_norm : tensor<64xf32> family = norm

// CHECK-LABEL: func.func @get_param_basic
// CHECK: %[[W:.*]] = moe.get_param @layers.0.attn.wq : tensor<64x64xf32>
// CHECK: %[[N:.*]] = moe.get_param @final_norm : tensor<64xf32>
// CHECK: return %[[W]], %[[N]]
// Reading parameters of different families and placements.
func.func @get_param_basic() -> (tensor<64x64xf32>, tensor<64xf32>) {
  %w = moe.get_param @layers.0.attn.wq : tensor<64x64xf32>
  %n = moe.get_param @final_norm : tensor<64xf32>
  return %w, %n : tensor<64x64xf32>, tensor<64xf32>
}

// CHECK-LABEL: func.func @get_param_twice
// CHECK-COUNT-2: moe.get_param @final_norm
// A parameter may be read any number of times.
func.func @get_param_twice() -> tensor<64xf32> {
  %a = moe.get_param @final_norm : tensor<64xf32>
  %b = moe.get_param @final_norm : tensor<64xf32>
  %c = moe.add %a, %b : tensor<64xf32>
  return %c : tensor<64xf32>
}
