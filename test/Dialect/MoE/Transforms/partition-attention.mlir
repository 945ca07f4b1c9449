// RUN: moefold-opt %s --moe-partition | FileCheck %s

// Attention with its heads split over tp (Megatron): q/k/v are
// column-parallel, so each rank holds whole heads and runs attention on
// num_heads / tp query heads and num_kv_heads / tp kv heads with no
// communication; the output projection is row-parallel and its partial sum
// is all-reduced once. In the backward, attention_grad runs on the same
// heads and the dx of the column-parallel projections stay partial.

#R = #spmd.placement<@mesh[dense] {}>
#P = #spmd.placement<@mesh[dense] {tp = P(sum)}>
#Col = #spmd.placement<@mesh[dense] {tp = S(1)}>
#Row = #spmd.placement<@mesh[dense] {tp = S(0)}>
#Heads = #spmd.placement<@mesh[dense] {tp = S(2)}>

module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  moe.param @wq : tensor<16x16xf32> family = dense placement = #Col
  moe.param @wk : tensor<16x8xf32> family = dense placement = #Col
  moe.param @wv : tensor<16x8xf32> family = dense placement = #Col
  moe.param @wo : tensor<16x16xf32> family = dense placement = #Row

  // CHECK-LABEL: func.func @attention_heads_over_tp
  // CHECK-SAME: (%[[X:[^:]+]]: tensor<2x4x16xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}
  func.func @attention_heads_over_tp(%arg0: tensor<2x4x16xf32>, %arg1: tensor<2x4xi32>) -> (tensor<f32> {moe.loss}, tensor<16x16xf32> {moe.grad_of = @wq}, tensor<16x8xf32> {moe.grad_of = @wk}, tensor<16x8xf32> {moe.grad_of = @wv}, tensor<16x16xf32> {moe.grad_of = @wo}) {
    // CHECK: %[[WQ:.*]] = moe.get_param @wq {{.*}} : tensor<16x8xf32>
    // CHECK: %[[WK:.*]] = moe.get_param @wk {{.*}} : tensor<16x4xf32>
    // CHECK: %[[WV:.*]] = moe.get_param @wv {{.*}} : tensor<16x4xf32>
    // CHECK: %[[WO:.*]] = moe.get_param @wo {{.*}} : tensor<8x16xf32>
    %0 = moe.get_param @wq {spmd.placements = [#Col]} : tensor<16x16xf32>
    %1 = moe.get_param @wk {spmd.placements = [#Col]} : tensor<16x8xf32>
    %2 = moe.get_param @wv {spmd.placements = [#Col]} : tensor<16x8xf32>
    %3 = moe.get_param @wo {spmd.placements = [#Row]} : tensor<16x16xf32>
    // CHECK-NOT: spmd.
    // CHECK: %[[Q:.*]] = moe.linear %[[X]], %[[WQ]] : tensor<2x4x16xf32>, tensor<16x8xf32>
    // CHECK: %[[K:.*]] = moe.linear %[[X]], %[[WK]] : tensor<2x4x16xf32>, tensor<16x4xf32>
    // CHECK: %[[V:.*]] = moe.linear %[[X]], %[[WV]] : tensor<2x4x16xf32>, tensor<16x4xf32>
    %4 = moe.linear %arg0, %0 {spmd.placements = [#Heads]} : tensor<2x4x16xf32>, tensor<16x16xf32>
    %5 = moe.linear %arg0, %1 {spmd.placements = [#Heads]} : tensor<2x4x16xf32>, tensor<16x8xf32>
    %6 = moe.linear %arg0, %2 {spmd.placements = [#Heads]} : tensor<2x4x16xf32>, tensor<16x8xf32>
    // CHECK: %[[A:.*]] = moe.attention %[[Q]], %[[K]], %[[V]] num_heads = 2 num_kv_heads = 1 causal : tensor<2x4x8xf32>, tensor<2x4x4xf32>, tensor<2x4x4xf32>
    %7 = moe.attention %4, %5, %6 num_heads = 4 num_kv_heads = 2 causal {spmd.placements = [#Heads]} : tensor<2x4x16xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
    // CHECK: %[[O:.*]] = moe.linear %[[A]], %[[WO]] : tensor<2x4x8xf32>, tensor<8x16xf32>
    // CHECK: %[[OR:.*]] = spmd.all_reduce %[[O]] over @mesh[dense] [tp] (V -> R) : tensor<2x4x16xf32>
    // CHECK: moe.cross_entropy %[[OR]]
    %8 = moe.linear %7, %3 {spmd.placements = [#P]} : tensor<2x4x16xf32>, tensor<16x16xf32>
    %9 = moe.cross_entropy %8, %arg1 {spmd.placements = [#R]} : tensor<2x4x16xf32>, tensor<2x4xi32>
    %10 = moe.fill 1.000000e+00 {spmd.placements = [#R]} : tensor<f32>
    %11 = moe.cross_entropy_grad %8, %arg1, %10 {spmd.placements = [#R]} : tensor<2x4x16xf32>, tensor<2x4xi32>, tensor<f32>
    // The output gradient is whole on every rank: each rank takes the
    // rows of wo it holds, and gets the gradient of its own heads.
    // CHECK: %[[DA:.*]], %[[DWO:.*]] = moe.linear_grad %[[A]], %[[WO]], %{{.*}} : tensor<2x4x8xf32>, tensor<8x16xf32>, tensor<2x4x16xf32>
    %dx, %dweight = moe.linear_grad %7, %3, %11 {spmd.placements = [#Heads, #Row]} : tensor<2x4x16xf32>, tensor<16x16xf32>, tensor<2x4x16xf32>
    // CHECK: %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = moe.attention_grad %[[Q]], %[[K]], %[[V]], %[[DA]] num_heads = 2 num_kv_heads = 1 causal : tensor<2x4x8xf32>, tensor<2x4x4xf32>, tensor<2x4x4xf32>
    %dq, %dk, %dv = moe.attention_grad %4, %5, %6, %dx num_heads = 4 num_kv_heads = 2 causal {spmd.placements = [#Heads, #Heads, #Heads]} : tensor<2x4x16xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
    // CHECK: moe.linear_grad %[[X]], %[[WV]], %[[DV]] : tensor<2x4x16xf32>, tensor<16x4xf32>, tensor<2x4x4xf32>
    // CHECK: moe.linear_grad %[[X]], %[[WK]], %[[DK]]
    // CHECK: moe.linear_grad %[[X]], %[[WQ]], %[[DQ]]
    %dx_0, %dweight_1 = moe.linear_grad %arg0, %2, %dv {spmd.placements = [#P, #Col]} : tensor<2x4x16xf32>, tensor<16x8xf32>, tensor<2x4x8xf32>
    %dx_2, %dweight_3 = moe.linear_grad %arg0, %1, %dk {spmd.placements = [#P, #Col]} : tensor<2x4x16xf32>, tensor<16x8xf32>, tensor<2x4x8xf32>
    %dx_4, %dweight_5 = moe.linear_grad %arg0, %0, %dq {spmd.placements = [#P, #Col]} : tensor<2x4x16xf32>, tensor<16x16xf32>, tensor<2x4x16xf32>
    // Weight gradients are sharded like their weights: no reduction. The
    // loss, computed whole on every rank of tp, is returned invariant.
    // CHECK-NOT: spmd.all_reduce
    // CHECK: spmd.convert %{{.*}} over @mesh[dense] [tp] (R -> I) : tensor<f32> -> tensor<f32>
    // CHECK-NOT: spmd.
    // CHECK: return %{{.*}} : tensor<f32>, tensor<16x8xf32>, tensor<16x4xf32>, tensor<16x4xf32>, tensor<8x16xf32>
    return %9, %dweight_5, %dweight_3, %dweight_1, %dweight : tensor<f32>, tensor<16x16xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<16x16xf32>
  }
}
