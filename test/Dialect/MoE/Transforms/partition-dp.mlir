// RUN: moefold-opt %s --moe-partition | FileCheck %s

// Data parallelism: the batch is split over dp. Every rank runs the step on
// its own tokens; the weight gradient (a sum over the batch) is P over dp
// and the optimizer, which needs it placed like the weight (R), gets the
// one DP gradient all-reduce. The loss is this rank's sum divided by the
// *global* token count (the local kernel's mean times local/global tokens),
// P over dp, and is all-reduced only for the returned report.

#R = #spmd.placement<@mesh[dense] {}>
#Batch = #spmd.placement<@mesh[dense] {dp = S(0)}>
#PendingDp = #spmd.placement<@mesh[dense] {dp = P(sum)}>

module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
  moe.param @w : tensor<8x16xf32> family = dense
  moe.state @grad.w : tensor<8x16xf32>

  // CHECK-LABEL: func.func @moefold_train_step
  // CHECK-SAME: %[[X:[^:]+]]: tensor<2x2x8xf32> {moe.global_placement = #spmd.placement<@mesh[dense] {dp = S(0)}>, moe.global_type = tensor<4x2x8xf32>, spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>}
  // CHECK-SAME: %[[T:[^:]+]]: tensor<2x2xi32> {moe.global_placement = #spmd.placement<@mesh[dense] {dp = S(0)}>, moe.global_type = tensor<4x2xi32>, spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>}
  // CHECK-SAME: %[[LR:[^:]+]]: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}
  func.func @moefold_train_step(%arg0: tensor<4x2x8xf32> {spmd.placement = #Batch}, %arg1: tensor<4x2xi32> {spmd.placement = #Batch}, %arg2: tensor<f32>, %arg3: tensor<f32>) -> (tensor<f32>, tensor<f32>, tensor<i1>) {
    // CHECK: %[[W:.*]] = moe.get_param @w {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>} : tensor<8x16xf32>
    // CHECK: %[[Y:.*]] = moe.linear %[[X]], %[[W]] : tensor<2x2x8xf32>, tensor<8x16xf32>
    // The mean over this rank's tokens divided by the global count (8): this
    // rank's share of the loss.
    // CHECK: %[[LOSS:.*]] = moe.cross_entropy %[[Y]], %[[T]] num_tokens = 8 : tensor<2x2x16xf32>, tensor<2x2xi32>
    // CHECK-NOT: arith.mulf
    %0 = moe.get_param @w {spmd.placements = [#R]} : tensor<8x16xf32>
    %1 = moe.linear %arg0, %0 {spmd.placements = [#Batch]} : tensor<4x2x8xf32>, tensor<8x16xf32>
    %2 = moe.cross_entropy %1, %arg1 {spmd.placements = [#PendingDp]} : tensor<4x2x16xf32>, tensor<4x2xi32>
    // The gradient divides by the global count too; the seed is unchanged.
    // CHECK: %[[SEED:.*]] = moe.fill 1.000000e+00 : tensor<f32>
    // CHECK-NOT: arith.mulf
    // CHECK: %[[DY:.*]] = moe.cross_entropy_grad %[[Y]], %[[T]], %[[SEED]] num_tokens = 8 : tensor<2x2x16xf32>, tensor<2x2xi32>, tensor<f32>
    %3 = moe.fill 1.000000e+00 {spmd.placements = [#R]} : tensor<f32>
    %4 = moe.cross_entropy_grad %1, %arg1, %3 {spmd.placements = [#Batch]} : tensor<4x2x16xf32>, tensor<4x2xi32>, tensor<f32>
    // CHECK: %[[DX:.*]], %[[DW:.*]] = moe.linear_grad %[[X]], %[[W]], %[[DY]] : tensor<2x2x8xf32>, tensor<8x16xf32>, tensor<2x2x16xf32>
    %dx, %dweight = moe.linear_grad %arg0, %0, %4 {spmd.placements = [#Batch, #PendingDp]} : tensor<4x2x8xf32>, tensor<8x16xf32>, tensor<4x2x16xf32>
    // The DP gradient all-reduce, once, where the gradient buffer first
    // needs the gradient placed like the weight; the norm and the update
    // reuse it.
    // CHECK: %[[G:.*]] = spmd.all_reduce %[[DW]] over @mesh[dense] [dp] (V -> R) : tensor<8x16xf32>
    // CHECK: moe.set_state @grad.w, %[[G]] : tensor<8x16xf32>
    // CHECK: %[[NORM:.*]] = moe.global_norm %[[G]] : tensor<8x16xf32>
    // CHECK: %[[SCALE:.*]], %[[APPLY:.*]] = moe.clip_scale %[[NORM]]
    // CHECK: %[[W2:.*]] = moe.get_param @w
    // CHECK: %[[NEW:.*]] = moe.sgd_step %[[W2]], %[[G]], %[[SCALE]], %[[LR]], %[[APPLY]]
    // CHECK: moe.set_param @w, %[[NEW]] : tensor<8x16xf32>
    moe.set_state @grad.w, %dweight : tensor<8x16xf32>
    %5 = moe.global_norm %dweight {spmd.placements = [#R]} : tensor<8x16xf32>
    %scale, %apply = moe.clip_scale %5 max_norm = 1.000000e+00 {spmd.placements = [#R, #R]}
    %6 = moe.get_param @w {spmd.placements = [#R]} : tensor<8x16xf32>
    %7 = moe.sgd_step %6, %dweight, %scale, %arg2, %apply weight_decay = 0.000000e+00 {spmd.placements = [#R]} : tensor<8x16xf32>
    moe.set_param @w, %7 : tensor<8x16xf32>
    // CHECK: %[[REPORT:.*]] = spmd.all_reduce %[[LOSS]] over @mesh[dense] [dp] (V -> R) : tensor<f32>
    // CHECK: return %[[REPORT]], %[[NORM]], %[[APPLY]] : tensor<f32>, tensor<f32>, tensor<i1>
    return %2, %5, %apply : tensor<f32>, tensor<f32>, tensor<i1>
  }
}
