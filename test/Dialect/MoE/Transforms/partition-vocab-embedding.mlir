// RUN: moefold-opt %s --moe-partition | FileCheck %s

// Vocab-parallel embedding: the table is split by rows over tp. Each rank
// zero-pads its rows back to the full vocabulary (spmd.convert V -> P, no
// communication), looks every token up in it, and the partial embeddings
// are summed by one all-reduce over tp, the first time a consumer (the
// norm) needs them whole. In the backward the table gradient is computed
// whole and each rank keeps its rows (spmd.convert R -> V).

#R = #spmd.placement<@mesh[dense] {}>
#P = #spmd.placement<@mesh[dense] {tp = P(sum)}>
#Rows = #spmd.placement<@mesh[dense] {tp = S(0)}>

module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  // CHECK: moe.param @embed : tensor<16x8xf32> family = embedding placement = #spmd.placement<@mesh[dense] {tp = S(0)}> {global_type = tensor<32x8xf32>}
  moe.param @embed : tensor<32x8xf32> family = embedding placement = #Rows
  moe.param @norm : tensor<8xf32> family = norm
  moe.param @head : tensor<8x16xf32> family = dense

  // CHECK-LABEL: func.func @vocab_parallel_embedding
  // CHECK-SAME: (%[[TOK:[^:]+]]: tensor<2x4xi32>
  // CHECK-SAME: tensor<16x8xf32> {moe.grad_of = @embed, spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>}
  func.func @vocab_parallel_embedding(%arg0: tensor<2x4xi32>, %arg1: tensor<2x4xi32>) -> (tensor<f32> {moe.loss}, tensor<32x8xf32> {moe.grad_of = @embed}, tensor<8xf32> {moe.grad_of = @norm}, tensor<8x16xf32> {moe.grad_of = @head}) {
    // CHECK: %[[E:.*]] = moe.get_param @embed {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>} : tensor<16x8xf32>
    // CHECK: %[[PAD:.*]] = spmd.convert %[[E]] over @mesh[dense] [tp] (V -> P) dim 0 : tensor<16x8xf32> -> tensor<32x8xf32>
    // CHECK: %[[H:.*]] = moe.embedding %[[PAD]], %[[TOK]] : tensor<32x8xf32>, tensor<2x4xi32>
    %0 = moe.get_param @embed {spmd.placements = [#Rows]} : tensor<32x8xf32>
    %1 = moe.embedding %0, %arg0 {spmd.placements = [#P]} : tensor<32x8xf32>, tensor<2x4xi32>
    %2 = moe.get_param @norm {spmd.placements = [#R]} : tensor<8xf32>
    // CHECK: %[[HR:.*]] = spmd.all_reduce %[[H]] over @mesh[dense] [tp] (P -> R) : tensor<2x4x8xf32>
    // CHECK: moe.rms_norm %[[HR]]
    %3 = moe.rms_norm %1, %2 {spmd.placements = [#R]} : tensor<2x4x8xf32>, tensor<8xf32>
    %4 = moe.get_param @head {spmd.placements = [#R]} : tensor<8x16xf32>
    %5 = moe.linear %3, %4 {spmd.placements = [#R]} : tensor<2x4x8xf32>, tensor<8x16xf32>
    %6 = moe.cross_entropy %5, %arg1 {spmd.placements = [#R]} : tensor<2x4x16xf32>, tensor<2x4xi32>
    %7 = moe.fill 1.000000e+00 {spmd.placements = [#R]} : tensor<f32>
    %8 = moe.cross_entropy_grad %5, %arg1, %7 {spmd.placements = [#R]} : tensor<2x4x16xf32>, tensor<2x4xi32>, tensor<f32>
    %dx, %dweight = moe.linear_grad %3, %4, %8 {spmd.placements = [#R, #R]} : tensor<2x4x8xf32>, tensor<8x16xf32>, tensor<2x4x16xf32>
    // The saved activation is read in its reduced form: no second reduction.
    // CHECK: moe.rms_norm_grad %[[HR]]
    %dx_0, %dweight_1 = moe.rms_norm_grad %1, %2, %dx {spmd.placements = [#R, #R]} : tensor<2x4x8xf32>, tensor<8xf32>
    // CHECK: %[[DT:.*]] = moe.embedding_grad %[[TOK]], %{{.*}} : tensor<2x4xi32>, tensor<2x4x8xf32> -> tensor<32x8xf32>
    %9 = moe.embedding_grad %arg0, %dx_0 {spmd.placements = [#Rows]} : tensor<2x4xi32>, tensor<2x4x8xf32> -> tensor<32x8xf32>
    // CHECK: %[[LOSS:.*]] = spmd.convert %{{.*}} over @mesh[dense] [tp] (R -> I) : tensor<f32> -> tensor<f32>
    // CHECK: %[[DTS:.*]] = spmd.convert %[[DT]] over @mesh[dense] [tp] (R -> V) dim 0 : tensor<32x8xf32> -> tensor<16x8xf32>
    // CHECK: return %[[LOSS]], %[[DTS]], %{{.*}}, %{{.*}} : tensor<f32>, tensor<16x8xf32>, tensor<8xf32>, tensor<8x16xf32>
    return %6, %9, %dweight_1, %dweight : tensor<f32>, tensor<32x8xf32>, tensor<8xf32>, tensor<8x16xf32>
  }
}
