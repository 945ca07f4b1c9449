// RUN: moefold-opt %s --moe-autodiff --moe-propagate-placements --moe-partition | FileCheck %s

// A routed-expert block with replicated experts (ep = 1) under data and
// tensor parallelism (world 4 = dp 2 x tp 2), through propagation and
// partitioning. Every rank routes, dispatches and runs the experts on its
// own tokens: the group sizes are per-rank counts (P over dp) that feed the
// experts as they are, never reduced. The load-balancing loss is a product
// of global means, so it gathers the router outputs over dp. Expert weight
// gradients are sums over this rank's rows: all-reduced over dp, the axis
// that splits the rows, and not over edp (tp lanes hold the same rows).

module {
  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  moe.param @router : tensor<8x4xf32> family = router
  moe.param @w_gate : tensor<4x8x16xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}>
  moe.param @w_up : tensor<4x8x16xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}>
  moe.param @w_down : tensor<4x16x8xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}>
  func.func @moe_block(%x: tensor<4x2x8xf32>, %t: tensor<4x2xi32>) -> (tensor<f32> {moe.loss}) {
    %r = moe.get_param @router : tensor<8x4xf32>
    %scores, %indices, %probs = moe.router %x, %r scoring = softmax top_k = 2 renormalize : tensor<4x2x8xf32>, tensor<8x4xf32>
    %sorted, %sizes = moe.dispatch %x, %indices num_experts = 4 : tensor<4x2x8xf32>, tensor<4x2x2xi32>
    %wg = moe.get_param @w_gate : tensor<4x8x16xf32>
    %wu = moe.get_param @w_up : tensor<4x8x16xf32>
    %wd = moe.get_param @w_down : tensor<4x16x8xf32>
    %y = moe.experts %sorted, %sizes, %wg, %wu, %wd : tensor<16x8xf32>, tensor<4xi32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x16x8xf32>
    %o = moe.combine %y, %indices, %scores : tensor<16x8xf32>, tensor<4x2x2xi32>, tensor<4x2x2xf32>
    %ce = moe.cross_entropy %o, %t : tensor<4x2x8xf32>, tensor<4x2xi32>
    %aux = moe.aux_loss %probs, %indices num_experts = 4 coefficient = 1.0e-02 : tensor<4x2x4xf32>, tensor<4x2x2xi32>
    %l = moe.add %ce, %aux : tensor<f32>
    return %l : tensor<f32>
  }
}

// CHECK-LABEL: func.func @moe_block_grad
// CHECK: moe.router %{{.*}} : tensor<2x2x8xf32>, tensor<8x4xf32>
// CHECK: %[[SORTED:.*]], %[[SIZES:.*]] = moe.dispatch
// CHECK-NOT: spmd.all
// CHECK: %[[Y:.*]] = moe.experts %[[SORTED]], %[[SIZES]], {{.*}} : tensor<8x8xf32>, tensor<4xi32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x16x8xf32>
// CHECK: moe.combine %[[Y]]
// CHECK: %[[PROBS:.*]] = spmd.all_gather %probs over @mesh[dense] [dp] (V -> R) dim 0 : tensor<2x2x4xf32> -> tensor<4x2x4xf32>
// CHECK: %[[IDX:.*]] = spmd.all_gather %indices over @mesh[dense] [dp] (V -> R) dim 0 : tensor<2x2x2xi32> -> tensor<4x2x2xi32>
// CHECK: moe.aux_loss %[[PROBS]], %[[IDX]]
// CHECK: %[[DPROBS:.*]] = moe.aux_loss_grad %[[PROBS]], %[[IDX]]
// CHECK: moe.experts_grad %[[SORTED]], %[[SIZES]]
// This rank's tokens of the whole-batch aux-loss gradient.
// CHECK: %[[MINE:.*]] = spmd.convert %[[DPROBS]] over @mesh[dense] [dp] (R -> V) dim 0 : tensor<4x2x4xf32> -> tensor<2x2x4xf32>
// CHECK: moe.router_grad {{.*}}, %[[MINE]]
// CHECK: spmd.all_reduce %dweight over @mesh[dense] [dp] (V -> R) : tensor<8x4xf32>
// CHECK: spmd.all_reduce %dw_gate over @mesh[dense] [dp] (V -> R) : tensor<4x8x16xf32>
// CHECK: spmd.all_reduce %dw_up over @mesh[dense] [dp] (V -> R) : tensor<4x8x16xf32>
// CHECK: spmd.all_reduce %dw_down over @mesh[dense] [dp] (V -> R) : tensor<4x16x8xf32>
// CHECK-NOT: {{\[}}edp
// CHECK: return
