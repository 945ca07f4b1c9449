// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @dispatch_top2
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[I:[^:]*]]: tensor<2x16x2xi32>
// CHECK: %[[S:.*]], %[[G:.*]] = moe.dispatch %[[X]], %[[I]] num_experts = 8 : tensor<2x16x64xf32>, tensor<2x16x2xi32>
// CHECK: return %[[S]], %[[G]] : tensor<64x64xf32>, tensor<8xi32>
// T*K = 32*2 = 64 rows (dropless); one group size per expert.
func.func @dispatch_top2(%x: tensor<2x16x64xf32>, %i: tensor<2x16x2xi32>) -> (tensor<64x64xf32>, tensor<8xi32>) {
  %s, %g = moe.dispatch %x, %i num_experts = 8 : tensor<2x16x64xf32>, tensor<2x16x2xi32>
  return %s, %g : tensor<64x64xf32>, tensor<8xi32>
}

// CHECK-LABEL: func.func @dispatch_i64_top1
// CHECK: moe.dispatch {{.*}} num_experts = 4 : tensor<1x3x8xbf16>, tensor<1x3x1xi64>
// i64 indices and top-1 routing.
func.func @dispatch_i64_top1(%x: tensor<1x3x8xbf16>, %i: tensor<1x3x1xi64>) -> tensor<3x8xbf16> {
  %s, %g = moe.dispatch %x, %i num_experts = 4 : tensor<1x3x8xbf16>, tensor<1x3x1xi64>
  return %s : tensor<3x8xbf16>
}
