// RUN: moefold-opt %s --moe-partition | FileCheck %s

// Cross-entropy over a batch split over dp, with logits split on the
// vocabulary over tp (a vocab-parallel LM head). In v1 the kernel needs
// whole rows of logits, so they are all-gathered over tp first. Each rank
// holds half the tokens: the kernel's mean over its local tokens is scaled
// by local/global tokens (1/2), giving this rank's share of the global
// mean, P over dp; the gradient kernel's seed is scaled the same way.

#Seed = #spmd.placement<@mesh[dense] {}>
#Batch = #spmd.placement<@mesh[dense] {dp = S(0)}>
#BatchVocab = #spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>
#Loss = #spmd.placement<@mesh[dense] {dp = P(sum)}>

module {
  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

  // CHECK-LABEL: func.func @cross_entropy_split_batch_and_vocab
  // CHECK-SAME: %[[LOGITS:[^:]+]]: tensor<2x2x8xf32>
  // CHECK-SAME: %[[T:[^:]+]]: tensor<2x2xi32>
  // CHECK-SAME: -> (tensor<f32> {moe.loss, spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = I}>}, tensor<2x2x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = V}>})
  func.func @cross_entropy_split_batch_and_vocab(%logits: tensor<4x2x16xf32> {spmd.placement = #BatchVocab}, %t: tensor<4x2xi32> {spmd.placement = #Batch}) -> (tensor<f32> {moe.loss}, tensor<4x2x16xf32> {spmd.placement = #BatchVocab}) {
    // CHECK: %[[FULL:.*]] = spmd.all_gather %[[LOGITS]] over @mesh[dense] [tp] (V -> R) dim 2 : tensor<2x2x8xf32> -> tensor<2x2x16xf32>
    // CHECK: %[[CE:.*]] = moe.cross_entropy %[[FULL]], %[[T]] : tensor<2x2x16xf32>, tensor<2x2xi32>
    // CHECK: %[[HALF:.*]] = arith.constant dense<5.000000e-01> : tensor<f32>
    // CHECK: %[[LOSS:.*]] = arith.mulf %[[CE]], %[[HALF]] : tensor<f32>
    %ce = moe.cross_entropy %logits, %t {spmd.placements = [#Loss]} : tensor<4x2x16xf32>, tensor<4x2xi32>
    // CHECK: %[[SEED:.*]] = moe.fill 1.000000e+00 : tensor<f32>
    // CHECK: %[[DL:.*]] = arith.mulf %[[SEED]], %{{.*}} : tensor<f32>
    // CHECK: %[[DLOGITS:.*]] = moe.cross_entropy_grad %[[FULL]], %[[T]], %[[DL]] : tensor<2x2x16xf32>, tensor<2x2xi32>, tensor<f32>
    %one = moe.fill 1.0 {spmd.placements = [#Seed]} : tensor<f32>
    %d = moe.cross_entropy_grad %logits, %t, %one {spmd.placements = [#Batch]} : tensor<4x2x16xf32>, tensor<4x2xi32>, tensor<f32>
    // CHECK: %[[SHARE:.*]] = spmd.reinterpret %[[LOSS]] over @mesh[dense] [dp] (V -> P) : tensor<f32>
    // CHECK: %[[LOSSI:.*]] = spmd.convert %[[SHARE]] over @mesh[dense] [tp] (R -> I) : tensor<f32> -> tensor<f32>
    // CHECK: %[[DSPLIT:.*]] = spmd.convert %[[DLOGITS]] over @mesh[dense] [tp] (R -> V) dim 2 : tensor<2x2x16xf32> -> tensor<2x2x8xf32>
    // CHECK: return %[[LOSSI]], %[[DSPLIT]]
    return %ce, %d : tensor<f32>, tensor<4x2x16xf32>
  }
}
