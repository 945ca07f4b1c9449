// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @experts_basic
// CHECK-SAME: %[[S:[^:]*]]: tensor<64x64xf32>
// CHECK-SAME: %[[G:[^:]*]]: tensor<8xi32>
// CHECK-SAME: %[[WG:[^:]*]]: tensor<8x64x128xf32>
// CHECK-SAME: %[[WU:[^:]*]]: tensor<8x64x128xf32>
// CHECK-SAME: %[[WD:[^:]*]]: tensor<8x128x64xf32>
// CHECK: %[[R:.*]] = moe.experts %[[S]], %[[G]], %[[WG]], %[[WU]], %[[WD]] :
// CHECK-SAME: tensor<64x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
// CHECK: return %[[R]] : tensor<64x64xf32>
// Grouped SwiGLU over [E, H, F] / [E, F, H] weights; result is [N, H].
func.func @experts_basic(%s: tensor<64x64xf32>, %g: tensor<8xi32>, %wg: tensor<8x64x128xf32>, %wu: tensor<8x64x128xf32>, %wd: tensor<8x128x64xf32>) -> tensor<64x64xf32> {
  %0 = moe.experts %s, %g, %wg, %wu, %wd : tensor<64x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
  return %0 : tensor<64x64xf32>
}

// CHECK-LABEL: func.func @experts_after_dispatch
// CHECK: %[[SORTED:.*]], %[[SIZES:.*]] = moe.dispatch
// CHECK: moe.experts %[[SORTED]], %[[SIZES]],
// Chained after moe.dispatch; N need not be a multiple of E.
func.func @experts_after_dispatch(%x: tensor<1x3x16xf32>, %i: tensor<1x3x1xi32>, %wg: tensor<2x16x8xf32>, %wd: tensor<2x8x16xf32>) -> tensor<3x16xf32> {
  %s, %g = moe.dispatch %x, %i num_experts = 2 : tensor<1x3x16xf32>, tensor<1x3x1xi32>
  %0 = moe.experts %s, %g, %wg, %wg, %wd : tensor<3x16xf32>, tensor<2xi32>, tensor<2x16x8xf32>, tensor<2x16x8xf32>, tensor<2x8x16xf32>
  return %0 : tensor<3x16xf32>
}

// CHECK-LABEL: func.func @experts_peer_groups
// CHECK: moe.experts %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<96x64xf32>, tensor<8xi32>, tensor<2x64x128xf32>
// CHECK: moe.experts_grad %{{.*}} : tensor<96x64xf32>, tensor<8xi32>, tensor<2x64x128xf32>
// Expert parallelism: 2 local experts, rows from 4 peers (G = 8 = 4 x 2
// groups, group g through expert g mod 2), 96 rows of static capacity.
func.func @experts_peer_groups(%s: tensor<96x64xf32>, %g: tensor<8xi32>, %wg: tensor<2x64x128xf32>, %wu: tensor<2x64x128xf32>, %wd: tensor<2x128x64xf32>) -> tensor<96x64xf32> {
  %0 = moe.experts %s, %g, %wg, %wu, %wd : tensor<96x64xf32>, tensor<8xi32>, tensor<2x64x128xf32>, tensor<2x64x128xf32>, tensor<2x128x64xf32>
  %ds, %dwg, %dwu, %dwd = moe.experts_grad %s, %g, %wg, %wu, %wd, %0 : tensor<96x64xf32>, tensor<8xi32>, tensor<2x64x128xf32>, tensor<2x64x128xf32>, tensor<2x128x64xf32>
  return %ds : tensor<96x64xf32>
}
