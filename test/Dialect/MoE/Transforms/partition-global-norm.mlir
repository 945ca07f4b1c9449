// RUN: moefold-opt %s --moe-partition | FileCheck %s

// moe.global_norm counts every logical element once: each rank's sum of
// squares is a partial sum over exactly the axes that split the gradient
// (here tp for a column-parallel weight), never over axes where the
// gradient is replicated (dp after the gradient all-reduce, tp for a
// replicated norm weight). Gradients still pending over dp are reduced
// first (the same reduction the optimizer needs).

#R = #spmd.placement<@mesh[dense] {}>
#Col = #spmd.placement<@mesh[dense] {tp = S(1)}>
#PendingDp = #spmd.placement<@mesh[dense] {dp = P(sum)}>

module {
  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

  // CHECK-LABEL: func.func @global_norm_over_sharded_axes
  // CHECK-SAME: %[[COL:[^:]+]]: tensor<8x8xf32>
  // CHECK-SAME: %[[REP:[^:]+]]: tensor<8xf32>
  // CHECK-SAME: %[[PEND:[^:]+]]: tensor<4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = R}>}
  func.func @global_norm_over_sharded_axes(%col: tensor<8x16xf32> {spmd.placement = #Col}, %rep: tensor<8xf32> {spmd.placement = #R}, %pend: tensor<4x4xf32> {spmd.placement = #PendingDp}) -> tensor<f32> {
    // CHECK: %[[PR:.*]] = spmd.all_reduce %[[PEND]] over @mesh[dense] [dp] (P -> R) : tensor<4x4xf32>
    // CHECK: %[[N0:.*]] = moe.global_norm %[[COL]] : tensor<8x8xf32>
    // CHECK: %[[S0:.*]] = arith.mulf %[[N0]], %[[N0]] : tensor<f32>
    // CHECK: %[[T0:.*]] = spmd.all_reduce %[[S0]] over @mesh[dense] [tp] (V -> R) : tensor<f32>
    // CHECK: %[[N1:.*]] = moe.global_norm %[[REP]], %[[PR]] : tensor<8xf32>, tensor<4x4xf32>
    // CHECK: %[[S1:.*]] = arith.mulf %[[N1]], %[[N1]] : tensor<f32>
    // CHECK-NOT: spmd.all_reduce
    // CHECK: %[[SUM:.*]] = moe.add %[[T0]], %[[S1]] : tensor<f32>
    // CHECK: %[[NORM:.*]] = math.sqrt %[[SUM]] : tensor<f32>
    // CHECK: return %[[NORM]]
    %n = moe.global_norm %col, %rep, %pend {spmd.placements = [#R]} : tensor<8x16xf32>, tensor<8xf32>, tensor<4x4xf32>
    return %n : tensor<f32>
  }

  // Every gradient replicated: the local norm is the global one.
  // CHECK-LABEL: func.func @global_norm_replicated
  // CHECK-NEXT: %[[N:.*]] = moe.global_norm
  // CHECK-NEXT: return %[[N]]
  func.func @global_norm_replicated(%a: tensor<8xf32>, %b: tensor<4x4xf32>) -> tensor<f32> {
    %n = moe.global_norm %a, %b {spmd.placements = [#R]} : tensor<8xf32>, tensor<4x4xf32>
    return %n : tensor<f32>
  }
}
