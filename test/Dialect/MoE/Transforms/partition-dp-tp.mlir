// RUN: moefold-opt %s --moe-partition | FileCheck %s

// Data and tensor parallelism together (world 4 = dp 2 x tp 2) on the
// Megatron MLP: the batch is split over dp, the MLP over tp. Each
// gradient is reduced over exactly the axes where it is pending: split
// weights over dp only, the norm weight over dp and tp in one collective.
// The loss, this rank's share over dp (computed from its own tokens: V,
// said to be P by spmd.reinterpret), is returned invariant over tp. Pending
// sums an op made from split operands are V, and collectives read them as P
// (`all_reduce (V -> R)`), as the local type rules infer them.

#Batch = #spmd.placement<@mesh[dense] {dp = S(0)}>
#BatchP = #spmd.placement<@mesh[dense] {dp = S(0), tp = P(sum)}>
#BatchHidden = #spmd.placement<@mesh[dense] {dp = S(0), tp = S(2)}>
#R = #spmd.placement<@mesh[dense] {}>
#Col = #spmd.placement<@mesh[dense] {tp = S(1)}>
#Row = #spmd.placement<@mesh[dense] {tp = S(0)}>
#ColGrad = #spmd.placement<@mesh[dense] {dp = P(sum), tp = S(1)}>
#RowGrad = #spmd.placement<@mesh[dense] {dp = P(sum), tp = S(0)}>
#NormGrad = #spmd.placement<@mesh[dense] {dp = P(sum), tp = P(sum)}>
#Loss = #spmd.placement<@mesh[dense] {dp = P(sum)}>

module {
  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  moe.param @norm : tensor<8xf32> family = norm
  moe.param @wg : tensor<8x16xf32> family = dense placement = #Col
  moe.param @wu : tensor<8x16xf32> family = dense placement = #Col
  moe.param @wd : tensor<16x8xf32> family = dense placement = #Row

  // CHECK-LABEL: func.func @dp_tp_mlp
  // CHECK-SAME: %[[X:[^:]+]]: tensor<2x4x8xf32>
  // CHECK-SAME: -> (tensor<f32> {moe.loss, spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = I}>}
  func.func @dp_tp_mlp(%arg0: tensor<4x4x8xf32> {spmd.placement = #Batch}, %arg1: tensor<4x4xi32> {spmd.placement = #Batch}) -> (tensor<f32> {moe.loss}, tensor<8xf32> {moe.grad_of = @norm}, tensor<8x16xf32> {moe.grad_of = @wg}, tensor<8x16xf32> {moe.grad_of = @wu}, tensor<16x8xf32> {moe.grad_of = @wd}) {
    %0 = moe.get_param @norm {spmd.placements = [#R]} : tensor<8xf32>
    %1 = moe.rms_norm %arg0, %0 {spmd.placements = [#Batch]} : tensor<4x4x8xf32>, tensor<8xf32>
    %2 = moe.get_param @wg {spmd.placements = [#Col]} : tensor<8x16xf32>
    %3 = moe.get_param @wu {spmd.placements = [#Col]} : tensor<8x16xf32>
    %4 = moe.get_param @wd {spmd.placements = [#Row]} : tensor<16x8xf32>
    // CHECK: moe.swiglu %{{.*}}, %{{.*}} : tensor<2x4x8xf32>
    // CHECK: %[[Y:.*]] = moe.linear %{{.*}}, %{{.*}} : tensor<2x4x8xf32>, tensor<8x8xf32>
    // CHECK-NEXT: spmd.all_reduce %[[Y]] over @mesh[dense] [tp] (V -> R) : tensor<2x4x8xf32>
    %5 = moe.linear %1, %2 {spmd.placements = [#BatchHidden]} : tensor<4x4x8xf32>, tensor<8x16xf32>
    %6 = moe.linear %1, %3 {spmd.placements = [#BatchHidden]} : tensor<4x4x8xf32>, tensor<8x16xf32>
    %7 = moe.swiglu %5, %6 {spmd.placements = [#BatchHidden]} : tensor<4x4x16xf32>
    %8 = moe.linear %7, %4 {spmd.placements = [#BatchP]} : tensor<4x4x16xf32>, tensor<16x8xf32>
    %9 = moe.add %arg0, %8 {spmd.placements = [#Batch]} : tensor<4x4x8xf32>
    // CHECK: %[[LOSS:.*]] = moe.cross_entropy {{.*}} num_tokens = 16 : tensor<2x4x8xf32>, tensor<2x4xi32>
    %10 = moe.cross_entropy %9, %arg1 {spmd.placements = [#Loss]} : tensor<4x4x8xf32>, tensor<4x4xi32>
    %11 = moe.fill 1.000000e+00 {spmd.placements = [#R]} : tensor<f32>
    %12 = moe.cross_entropy_grad %9, %arg1, %11 {spmd.placements = [#Batch]} : tensor<4x4x8xf32>, tensor<4x4xi32>, tensor<f32>
    %dx, %dweight = moe.linear_grad %7, %4, %12 {spmd.placements = [#BatchHidden, #RowGrad]} : tensor<4x4x16xf32>, tensor<16x8xf32>, tensor<4x4x8xf32>
    %dgate, %dup = moe.swiglu_grad %5, %6, %dx {spmd.placements = [#BatchHidden, #BatchHidden]} : tensor<4x4x16xf32>
    %dx_0, %dweight_1 = moe.linear_grad %1, %3, %dup {spmd.placements = [#BatchP, #ColGrad]} : tensor<4x4x8xf32>, tensor<8x16xf32>, tensor<4x4x16xf32>
    %dx_2, %dweight_3 = moe.linear_grad %1, %2, %dgate {spmd.placements = [#BatchP, #ColGrad]} : tensor<4x4x8xf32>, tensor<8x16xf32>, tensor<4x4x16xf32>
    %13 = moe.add %dx_0, %dx_2 {spmd.placements = [#BatchP]} : tensor<4x4x8xf32>
    %dx_4, %dweight_5 = moe.rms_norm_grad %arg0, %0, %13 {spmd.placements = [#BatchP, #NormGrad]} : tensor<4x4x8xf32>, tensor<8xf32>
    // CHECK: moe.linear_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x4x8xf32>, tensor<8x8xf32>, tensor<2x4x8xf32>
    // CHECK: %{{.*}}, %[[DN:.*]] = moe.rms_norm_grad %[[X]]
    // CHECK-NEXT: %[[SHARE:.*]] = spmd.reinterpret %[[LOSS]] over @mesh[dense] [dp] (V -> P) : tensor<f32>
    // CHECK-NEXT: %[[LOSSI:.*]] = spmd.convert %[[SHARE]] over @mesh[dense] [tp] (R -> I) : tensor<f32> -> tensor<f32>
    // CHECK-NEXT: %[[DNR:.*]] = spmd.all_reduce %[[DN]] over @mesh[dense] [dp, tp] (V -> R) : tensor<8xf32>
    // CHECK-NEXT: %[[DWG:.*]] = spmd.all_reduce %{{.*}} over @mesh[dense] [dp] (V -> R) : tensor<8x8xf32>
    // CHECK-NEXT: %[[DWU:.*]] = spmd.all_reduce %{{.*}} over @mesh[dense] [dp] (V -> R) : tensor<8x8xf32>
    // CHECK-NEXT: %[[DWDR:.*]] = spmd.all_reduce %{{.*}} over @mesh[dense] [dp] (V -> R) : tensor<8x8xf32>
    // CHECK-NEXT: return %[[LOSSI]], %[[DNR]], %[[DWG]], %[[DWU]], %[[DWDR]]
    return %10, %dweight_5, %dweight_3, %dweight_1, %dweight : tensor<f32>, tensor<8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>
  }
}
