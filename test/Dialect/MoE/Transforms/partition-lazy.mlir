// RUN: moefold-opt %s --moe-partition | FileCheck %s

// Lazy reduction: a pending sum (P) flows through ops linear in it and is
// summed once, where a consumer first needs it whole; later consumers reuse
// the reduced value. A pending sum needed split is reduce-scattered.

#R = #spmd.placement<@mesh[dense] {}>
#P = #spmd.placement<@mesh[dense] {tp = P(sum)}>
#Rows = #spmd.placement<@mesh[dense] {tp = S(0)}>

module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

  // CHECK-LABEL: func.func @lazy_sum_reduced_once
  // CHECK-SAME: %[[A:[^:]+]]: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = P}>}
  // CHECK-SAME: %[[B:[^:]+]]: tensor<4x8xf32>
  // CHECK-SAME: %[[W:[^:]+]]: tensor<8x8xf32>
  // CHECK-SAME: %[[N:[^:]+]]: tensor<8xf32>
  func.func @lazy_sum_reduced_once(%a: tensor<4x8xf32> {spmd.placement = #P}, %b: tensor<4x8xf32> {spmd.placement = #P}, %w: tensor<8x8xf32> {spmd.placement = #R}, %n: tensor<8xf32> {spmd.placement = #R}) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
    // P + P -> P, linear(P, R) -> P: no collective yet.
    // CHECK-NEXT: %[[S:.*]] = moe.add %[[A]], %[[B]] : tensor<4x8xf32>
    // CHECK-NEXT: %[[Y:.*]] = moe.linear %[[S]], %[[W]] : tensor<4x8xf32>, tensor<8x8xf32>
    %s = moe.add %a, %b {spmd.placements = [#P]} : tensor<4x8xf32>
    %y = moe.linear %s, %w {spmd.placements = [#P]} : tensor<4x8xf32>, tensor<8x8xf32>
    // The norm is non-linear: one all-reduce, shared by both norms.
    // CHECK-NEXT: %[[YR:.*]] = spmd.all_reduce %[[Y]] over @mesh[dense] [tp] (P -> R) : tensor<4x8xf32>
    // CHECK-NEXT: %[[N1:.*]] = moe.rms_norm %[[YR]], %[[N]]
    // CHECK-NEXT: %[[N2:.*]] = moe.rms_norm %[[YR]], %[[N]] epsilon
    // CHECK-NEXT: return %[[N1]], %[[N2]]
    %n1 = moe.rms_norm %y, %n {spmd.placements = [#R]} : tensor<4x8xf32>, tensor<8xf32>
    %n2 = moe.rms_norm %y, %n epsilon = 1.0e-05 {spmd.placements = [#R]} : tensor<4x8xf32>, tensor<8xf32>
    return %n1, %n2 : tensor<4x8xf32>, tensor<4x8xf32>
  }

  // A pending sum meets a replicated summand: the sum is reduced first
  // (P + R would count the R term once per rank).
  // CHECK-LABEL: func.func @lazy_sum_meets_replicated
  // CHECK-NEXT: %[[AR:.*]] = spmd.all_reduce %{{.*}} over @mesh[dense] [tp] (P -> R) : tensor<4x8xf32>
  // CHECK-NEXT: moe.add %[[AR]], %{{.*}} : tensor<4x8xf32>
  func.func @lazy_sum_meets_replicated(%a: tensor<4x8xf32> {spmd.placement = #P}, %r: tensor<4x8xf32> {spmd.placement = #R}) -> tensor<4x8xf32> {
    %s = moe.add %a, %r {spmd.placements = [#R]} : tensor<4x8xf32>
    return %s : tensor<4x8xf32>
  }

  // P needed split: reduce_scatter, not all_reduce + slice.
  // CHECK-LABEL: func.func @lazy_reduce_scatter
  // CHECK-SAME: -> (tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>})
  // CHECK-NEXT: %[[RS:.*]] = spmd.reduce_scatter %{{.*}} over @mesh[dense] [tp] (P -> V) dim 0 : tensor<8x8xf32> -> tensor<4x8xf32>
  // CHECK-NEXT: return %[[RS]]
  func.func @lazy_reduce_scatter(%g: tensor<8x8xf32> {spmd.placement = #P}) -> (tensor<8x8xf32> {spmd.placement = #Rows}) {
    return %g : tensor<8x8xf32>
  }

  // A pending sum that came in as P (here an argument; in a model, the
  // zero-padded vocab-parallel embedding) meets one a row-parallel matmul
  // made from split operands, which the local type rules type V: the V one
  // is said to be P before they are added, and the sum is reduced once.
  // CHECK-LABEL: func.func @lazy_mixed_pending_sums
  // CHECK-SAME: %[[PA:[^:]+]]: tensor<4x8xf32>
  // CHECK-NEXT: %[[ROW:.*]] = moe.linear %{{.*}}, %{{.*}} : tensor<4x4xf32>, tensor<4x8xf32>
  // CHECK-NEXT: %[[AS_P:.*]] = spmd.reinterpret %[[ROW]] over @mesh[dense] [tp] (V -> P) : tensor<4x8xf32>
  // CHECK-NEXT: %[[SUM:.*]] = moe.add %[[PA]], %[[AS_P]] : tensor<4x8xf32>
  // CHECK-NEXT: %[[RED:.*]] = spmd.all_reduce %[[SUM]] over @mesh[dense] [tp] (P -> R) : tensor<4x8xf32>
  // CHECK-NEXT: return %[[RED]]
  func.func @lazy_mixed_pending_sums(%p: tensor<4x8xf32> {spmd.placement = #P}, %x: tensor<4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(1)}>}, %w: tensor<8x8xf32> {spmd.placement = #Rows}) -> tensor<4x8xf32> {
    %y = moe.linear %x, %w {spmd.placements = [#P]} : tensor<4x8xf32>, tensor<8x8xf32>
    %s = moe.add %p, %y {spmd.placements = [#P]} : tensor<4x8xf32>
    return %s : tensor<4x8xf32>
  }
}
