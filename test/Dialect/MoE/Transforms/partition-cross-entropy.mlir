// RUN: moefold-opt %s --moe-partition -split-input-file | FileCheck %s
// RUN: moefold-opt %s --moe-partition --spmd-verify-types -split-input-file | FileCheck %s --check-prefix=TYPED
// RUN: moefold-opt %s --moe-partition -split-input-file | FileCheck %s --check-prefix=MULTI

// Cross-entropy over a batch split over dp, with logits split on the
// vocabulary over tp (a vocab-parallel LM head). No rank gathers the
// logits: per token, the maximum, the sum of exp(l - max) and the target's
// logit are reduced over tp (three all-reduces of [B, S]); the loss and
// this rank's columns of the gradient are computed from them, the gradient
// reusing the forward's reduced max and sum. The ops divide by the global
// token count (8) themselves: no loss rescaling.

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
  // CHECK-NOT: spmd.all_gather
  // CHECK: %[[TABLE:.*]] = arith.constant dense<[0, 8]> : tensor<2xi32>
  // CHECK: %[[OFF:.*]] = spmd.convert %[[TABLE]] over @mesh[dense] [tp] (R -> V) dim 0 : tensor<2xi32> -> tensor<1xi32>
  // CHECK: %[[MLOC:.*]] = moe.vocab_max %[[LOGITS]], %[[OFF]] : tensor<2x2x8xf32>, tensor<1xi32>
  // CHECK: %[[M:.*]] = spmd.all_reduce %[[MLOC]] over @mesh[dense] [tp] (V -> R) reduction = max : tensor<2x2xf32>
  // CHECK: %[[SELOC:.*]] = moe.vocab_sumexp %[[LOGITS]], %[[OFF]], %[[M]] : tensor<2x2x8xf32>, tensor<1xi32>, tensor<2x2xf32>
  // CHECK: %[[SE:.*]] = spmd.all_reduce %[[SELOC]] over @mesh[dense] [tp] (V -> R) : tensor<2x2xf32>
  // CHECK: %[[TLOC:.*]] = moe.vocab_target_logit %[[LOGITS]], %[[OFF]], %[[T]] vocab_size = 16 : tensor<2x2x8xf32>, tensor<1xi32>, tensor<2x2xi32>
  // CHECK: %[[TL:.*]] = spmd.all_reduce %[[TLOC]] over @mesh[dense] [tp] (V -> R) : tensor<2x2xf32>
  // CHECK: %[[LOSS:.*]] = moe.vocab_cross_entropy %[[M]], %[[SE]], %[[TL]] num_tokens = 8 : tensor<2x2xf32>
  // CHECK-NOT: arith.mulf
  // CHECK: %[[SEED:.*]] = moe.fill 1.000000e+00 : tensor<f32>
  // CHECK-NOT: spmd.all_reduce
  // CHECK: %[[DLOGITS:.*]] = moe.vocab_cross_entropy_grad %[[LOGITS]], %[[OFF]], %[[T]], %[[M]], %[[SE]], %[[SEED]] num_tokens = 8 : tensor<2x2x8xf32>, tensor<1xi32>, tensor<2x2xi32>, tensor<2x2xf32>, tensor<f32>
  // CHECK: %[[SHARE:.*]] = spmd.reinterpret %[[LOSS]] over @mesh[dense] [dp] (V -> P) : tensor<f32>
  // CHECK: %[[LOSSI:.*]] = spmd.convert %[[SHARE]] over @mesh[dense] [tp] (R -> I) : tensor<f32> -> tensor<f32>
  // CHECK-NOT: spmd.
  // CHECK: return %[[LOSSI]], %[[DLOGITS]]
  func.func @cross_entropy_split_batch_and_vocab(%logits: tensor<4x2x16xf32> {spmd.placement = #BatchVocab}, %t: tensor<4x2xi32> {spmd.placement = #Batch}) -> (tensor<f32> {moe.loss}, tensor<4x2x16xf32> {spmd.placement = #BatchVocab}) {
    %ce = moe.cross_entropy %logits, %t {spmd.placements = [#Loss]} : tensor<4x2x16xf32>, tensor<4x2xi32>
    %one = moe.fill 1.0 {spmd.placements = [#Seed]} : tensor<f32>
    %d = moe.cross_entropy_grad %logits, %t, %one {spmd.placements = [#BatchVocab]} : tensor<4x2x16xf32>, tensor<4x2xi32>, tensor<f32>
    return %ce, %d : tensor<f32>, tensor<4x2x16xf32>
  }

  // A gradient without its forward recomputes the statistics it needs (the
  // max and the sum; the target's logit is not needed).
  // CHECK-LABEL: func.func @cross_entropy_grad_alone
  // CHECK: spmd.convert %{{.*}} over @mesh[dense] [tp] (R -> V) dim 0 : tensor<2xi32> -> tensor<1xi32>
  // CHECK: moe.vocab_max
  // CHECK: spmd.all_reduce %{{.*}} over @mesh[dense] [tp] (V -> R) reduction = max : tensor<2x2xf32>
  // CHECK: moe.vocab_sumexp
  // CHECK: spmd.all_reduce %{{.*}} over @mesh[dense] [tp] (V -> R) : tensor<2x2xf32>
  // CHECK-NOT: moe.vocab_target_logit
  // CHECK: moe.vocab_cross_entropy_grad
  func.func @cross_entropy_grad_alone(%logits: tensor<4x2x16xf32> {spmd.placement = #BatchVocab}, %t: tensor<4x2xi32> {spmd.placement = #Batch}) -> (tensor<4x2x16xf32> {spmd.placement = #BatchVocab}) {
    %one = moe.fill 1.0 {spmd.placements = [#Seed]} : tensor<f32>
    %d = moe.cross_entropy_grad %logits, %t, %one {spmd.placements = [#BatchVocab]} : tensor<4x2x16xf32>, tensor<4x2xi32>, tensor<f32>
    return %d : tensor<4x2x16xf32>
  }
}

// The whole module passes the local type checker.
// TYPED-LABEL: func.func @cross_entropy_split_batch_and_vocab
// TYPED-LABEL: func.func @cross_entropy_grad_alone

// -----

// The vocabulary split over two axes (stacked): the logits are gathered
// over both first and the op runs on whole rows, as before vocab-parallel
// cross-entropy; its gradient is sliced back where it is returned split.

#Seed2 = #spmd.placement<@mesh2[dense] {}>
#Rows = #spmd.placement<@mesh2[dense] {}>
#Vocab2 = #spmd.placement<@mesh2[dense] {dp = S(2), tp = S(2)}>

module {
  spmd.mesh @mesh2 world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

  // MULTI-LABEL: func.func @cross_entropy_vocab_over_two_axes
  // MULTI-NOT: moe.vocab_
  // MULTI: spmd.all_gather %{{.*}} over @mesh2[dense] [tp] (V -> R) dim 2 : tensor<4x2x4xf32> -> tensor<4x2x8xf32>
  // MULTI: spmd.all_gather %{{.*}} over @mesh2[dense] [dp] (V -> R) dim 2 : tensor<4x2x8xf32> -> tensor<4x2x16xf32>
  // MULTI: moe.cross_entropy %{{.*}} : tensor<4x2x16xf32>, tensor<4x2xi32>
  // MULTI: moe.cross_entropy_grad %{{.*}} : tensor<4x2x16xf32>, tensor<4x2xi32>, tensor<f32>
  // MULTI-NOT: moe.vocab_
  func.func @cross_entropy_vocab_over_two_axes(%logits: tensor<4x2x16xf32> {spmd.placement = #Vocab2}, %t: tensor<4x2xi32>) -> (tensor<f32> {moe.loss}, tensor<4x2x16xf32> {spmd.placement = #Vocab2}) {
    %ce = moe.cross_entropy %logits, %t : tensor<4x2x16xf32>, tensor<4x2xi32>
    %one = moe.fill 1.0 {spmd.placements = [#Seed2]} : tensor<f32>
    %d = moe.cross_entropy_grad %logits, %t, %one : tensor<4x2x16xf32>, tensor<4x2xi32>, tensor<f32>
    return %ce, %d : tensor<f32>, tensor<4x2x16xf32>
  }
}
// TYPED-LABEL: func.func @cross_entropy_vocab_over_two_axes
