// RUN: moefold-opt %s --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition --spmd-verify-types | FileCheck %s

// Qwen3 attention with its heads split over tp = 2 (dp = 2): each rank runs
// 2 of the 4 query heads and 1 of the 2 kv heads with the whole [D] q/k norm
// weights (replicated, no communication in the forward). Their gradients
// sum over the heads and the batch rows, so the partitioner all-reduces
// them over dp and tp; the per-rank program passes spmd-verify-types.

module {
  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  moe.param @wq : tensor<16x16xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
  moe.param @wk : tensor<16x8xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
  moe.param @wv : tensor<16x8xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
  moe.param @qn : tensor<4xf32> family = norm init = ones
  moe.param @kn : tensor<4xf32> family = norm init = ones
  moe.param @wo : tensor<16x16xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(0)}>

  func.func @step(%x: tensor<4x4x16xf32>, %t: tensor<4x4xi32>) -> (tensor<f32> {moe.loss}) {
    %wq = moe.get_param @wq : tensor<16x16xf32>
    %wk = moe.get_param @wk : tensor<16x8xf32>
    %wv = moe.get_param @wv : tensor<16x8xf32>
    %qn = moe.get_param @qn : tensor<4xf32>
    %kn = moe.get_param @kn : tensor<4xf32>
    %wo = moe.get_param @wo : tensor<16x16xf32>
    %q = moe.linear %x, %wq : tensor<4x4x16xf32>, tensor<16x16xf32>
    %k = moe.linear %x, %wk : tensor<4x4x16xf32>, tensor<16x8xf32>
    %v = moe.linear %x, %wv : tensor<4x4x16xf32>, tensor<16x8xf32>
    %a = moe.attention %q, %k, %v qk_norm %qn, %kn num_heads = 4 num_kv_heads = 2 causal rope_theta = 1.0e+04 epsilon = 1.0e-05 : tensor<4x4x16xf32>, tensor<4x4x8xf32>, tensor<4x4x8xf32>, tensor<4xf32>, tensor<4xf32>
    %o = moe.linear %a, %wo : tensor<4x4x16xf32>, tensor<16x16xf32>
    %l = moe.cross_entropy %o, %t : tensor<4x4x16xf32>, tensor<4x4xi32>
    return %l : tensor<f32>
  }
}

// CHECK-LABEL: func.func @step_grad(
// CHECK-SAME: tensor<4xf32> {moe.grad_of = @qn, spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}, tensor<4xf32> {moe.grad_of = @kn, spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}
// CHECK: %[[QN:.*]] = moe.get_param @qn {{.*}}: tensor<4xf32>
// CHECK: %[[KN:.*]] = moe.get_param @kn {{.*}}: tensor<4xf32>
// CHECK: moe.attention %{{.*}}, %{{.*}}, %{{.*}} qk_norm %[[QN]], %[[KN]] num_heads = 2 num_kv_heads = 1 causal rope_theta = 1.000000e+04 epsilon = 1.000000e-05 : tensor<2x4x8xf32>, tensor<2x4x4xf32>, tensor<2x4x4xf32>, tensor<4xf32>, tensor<4xf32>
// CHECK: %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}}, %[[DN:[^ ]*]]:2 = moe.attention_grad {{.*}} qk_norm %[[QN]], %[[KN]] num_heads = 2 num_kv_heads = 1
// CHECK-DAG: spmd.all_reduce %[[DN]]#0 over @mesh[dense] [dp, tp] (V -> R) : tensor<4xf32>
// CHECK-DAG: spmd.all_reduce %[[DN]]#1 over @mesh[dense] [dp, tp] (V -> R) : tensor<4xf32>
