// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @combine_top2
// CHECK-SAME: %[[O:[^:]*]]: tensor<64x64xf32>
// CHECK-SAME: %[[I:[^:]*]]: tensor<2x16x2xi32>
// CHECK-SAME: %[[S:[^:]*]]: tensor<2x16x2xf32>
// CHECK: %[[R:.*]] = moe.combine %[[O]], %[[I]], %[[S]] : tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>
// CHECK: return %[[R]] : tensor<2x16x64xf32>
// T*K rows back to [B, S, H].
func.func @combine_top2(%o: tensor<64x64xf32>, %i: tensor<2x16x2xi32>, %s: tensor<2x16x2xf32>) -> tensor<2x16x64xf32> {
  %0 = moe.combine %o, %i, %s : tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>
  return %0 : tensor<2x16x64xf32>
}

// CHECK-LABEL: func.func @combine_roundtrip_chain
// CHECK: moe.router
// CHECK: moe.dispatch
// CHECK: moe.experts
// CHECK: moe.combine
// The full routed path: router -> dispatch -> experts -> combine.
func.func @combine_roundtrip_chain(%x: tensor<1x4x16xf32>, %w: tensor<16x4xf32>, %wg: tensor<4x16x32xf32>, %wd: tensor<4x32x16xf32>) -> tensor<1x4x16xf32> {
  %s, %i, %p = moe.router %x, %w scoring = softmax top_k = 2 renormalize : tensor<1x4x16xf32>, tensor<16x4xf32>
  %sorted, %sizes = moe.dispatch %x, %i num_experts = 4 : tensor<1x4x16xf32>, tensor<1x4x2xi32>
  %y = moe.experts %sorted, %sizes, %wg, %wg, %wd : tensor<8x16xf32>, tensor<4xi32>, tensor<4x16x32xf32>, tensor<4x16x32xf32>, tensor<4x32x16xf32>
  %0 = moe.combine %y, %i, %s : tensor<8x16xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  return %0 : tensor<1x4x16xf32>
}
