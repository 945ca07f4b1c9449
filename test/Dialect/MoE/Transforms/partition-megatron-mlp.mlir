// RUN: moefold-opt %s --moe-partition | FileCheck %s

// A Megatron MLP (SwiGLU) on tp = 2: gate and up projections
// column-parallel, down projection row-parallel. The forward needs exactly
// one all-reduce over tp (the row-parallel output, before the residual
// add); the backward exactly one (the pending input gradient of the
// column-parallel projections flows through the linear rms_norm_grad, and
// only the norm weight's gradient, which its parameter needs whole, is
// reduced). Weight gradients of split weights stay split.

#R = #spmd.placement<@mesh[dense] {}>
#P = #spmd.placement<@mesh[dense] {tp = P(sum)}>
#Col = #spmd.placement<@mesh[dense] {tp = S(1)}>
#Row = #spmd.placement<@mesh[dense] {tp = S(0)}>
#Hidden = #spmd.placement<@mesh[dense] {tp = S(2)}>

module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  moe.param @norm : tensor<8xf32> family = norm
  moe.param @wg : tensor<8x16xf32> family = dense placement = #Col
  moe.param @wu : tensor<8x16xf32> family = dense placement = #Col
  moe.param @wd : tensor<16x8xf32> family = dense placement = #Row

  // CHECK-LABEL: func.func @megatron_mlp
  func.func @megatron_mlp(%arg0: tensor<2x4x8xf32>, %arg1: tensor<2x4xi32>) -> (tensor<f32> {moe.loss}, tensor<8xf32> {moe.grad_of = @norm}, tensor<8x16xf32> {moe.grad_of = @wg}, tensor<8x16xf32> {moe.grad_of = @wu}, tensor<16x8xf32> {moe.grad_of = @wd}) {
    %0 = moe.get_param @norm {spmd.placements = [#R]} : tensor<8xf32>
    %1 = moe.rms_norm %arg0, %0 {spmd.placements = [#R]} : tensor<2x4x8xf32>, tensor<8xf32>
    %2 = moe.get_param @wg {spmd.placements = [#Col]} : tensor<8x16xf32>
    %3 = moe.get_param @wu {spmd.placements = [#Col]} : tensor<8x16xf32>
    %4 = moe.get_param @wd {spmd.placements = [#Row]} : tensor<16x8xf32>
    // CHECK-NOT: spmd.all_reduce
    // CHECK: %[[G:.*]] = moe.linear %{{.*}}, %{{.*}} : tensor<2x4x8xf32>, tensor<8x8xf32>
    // CHECK: %[[U:.*]] = moe.linear %{{.*}}, %{{.*}} : tensor<2x4x8xf32>, tensor<8x8xf32>
    // CHECK: %[[A:.*]] = moe.swiglu %[[G]], %[[U]] : tensor<2x4x8xf32>
    // CHECK: %[[Y:.*]] = moe.linear %[[A]], %{{.*}} : tensor<2x4x8xf32>, tensor<8x8xf32>
    // CHECK-NEXT: %[[YR:.*]] = spmd.all_reduce %[[Y]] over @mesh[dense] [tp] (V -> R) : tensor<2x4x8xf32>
    // CHECK-NEXT: moe.add %{{.*}}, %[[YR]] : tensor<2x4x8xf32>
    %5 = moe.linear %1, %2 {spmd.placements = [#Hidden]} : tensor<2x4x8xf32>, tensor<8x16xf32>
    %6 = moe.linear %1, %3 {spmd.placements = [#Hidden]} : tensor<2x4x8xf32>, tensor<8x16xf32>
    %7 = moe.swiglu %5, %6 {spmd.placements = [#Hidden]} : tensor<2x4x16xf32>
    %8 = moe.linear %7, %4 {spmd.placements = [#P]} : tensor<2x4x16xf32>, tensor<16x8xf32>
    %9 = moe.add %arg0, %8 {spmd.placements = [#R]} : tensor<2x4x8xf32>
    %10 = moe.cross_entropy %9, %arg1 {spmd.placements = [#R]} : tensor<2x4x8xf32>, tensor<2x4xi32>
    %11 = moe.fill 1.000000e+00 {spmd.placements = [#R]} : tensor<f32>
    %12 = moe.cross_entropy_grad %9, %arg1, %11 {spmd.placements = [#R]} : tensor<2x4x8xf32>, tensor<2x4xi32>, tensor<f32>
    // CHECK-NOT: spmd.all_reduce
    // CHECK: %[[DA:.*]], %[[DWD:.*]] = moe.linear_grad %[[A]], %{{.*}}, %{{.*}} : tensor<2x4x8xf32>, tensor<8x8xf32>, tensor<2x4x8xf32>
    // CHECK: %[[DG:.*]], %[[DU:.*]] = moe.swiglu_grad %[[G]], %[[U]], %[[DA]] : tensor<2x4x8xf32>
    // CHECK: %[[DX0:.*]], %[[DWU:.*]] = moe.linear_grad %{{.*}}, %{{.*}}, %[[DU]]
    // CHECK: %[[DX1:.*]], %[[DWG:.*]] = moe.linear_grad %{{.*}}, %{{.*}}, %[[DG]]
    // CHECK: %[[DH:.*]] = moe.add %[[DX0]], %[[DX1]] : tensor<2x4x8xf32>
    // CHECK: %{{.*}}, %[[DN:.*]] = moe.rms_norm_grad %arg0, %{{.*}}, %[[DH]]
    %dx, %dweight = moe.linear_grad %7, %4, %12 {spmd.placements = [#Hidden, #Row]} : tensor<2x4x16xf32>, tensor<16x8xf32>, tensor<2x4x8xf32>
    %dgate, %dup = moe.swiglu_grad %5, %6, %dx {spmd.placements = [#Hidden, #Hidden]} : tensor<2x4x16xf32>
    %dx_0, %dweight_1 = moe.linear_grad %1, %3, %dup {spmd.placements = [#P, #Col]} : tensor<2x4x8xf32>, tensor<8x16xf32>, tensor<2x4x16xf32>
    %dx_2, %dweight_3 = moe.linear_grad %1, %2, %dgate {spmd.placements = [#P, #Col]} : tensor<2x4x8xf32>, tensor<8x16xf32>, tensor<2x4x16xf32>
    %13 = moe.add %dx_0, %dx_2 {spmd.placements = [#P]} : tensor<2x4x8xf32>
    %dx_4, %dweight_5 = moe.rms_norm_grad %arg0, %0, %13 {spmd.placements = [#R, #R]} : tensor<2x4x8xf32>, tensor<8xf32>
    // CHECK: %[[DNR:.*]] = spmd.all_reduce %[[DN]] over @mesh[dense] [tp] (V -> R) : tensor<8xf32>
    // CHECK-NOT: spmd.all_reduce
    // CHECK: return %{{.*}}, %[[DNR]], %[[DWG]], %[[DWU]], %[[DWD]] : tensor<f32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>
    return %10, %dweight_5, %dweight_3, %dweight_1, %dweight : tensor<f32>, tensor<8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>
  }
}
