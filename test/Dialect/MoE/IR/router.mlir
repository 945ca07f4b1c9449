// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @router_softmax_renormalize
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[W:[^:]*]]: tensor<64x8xf32>
// CHECK: %[[S:.*]], %[[I:.*]], %[[P:.*]] = moe.router %[[X]], %[[W]] scoring = softmax top_k = 2 renormalize : tensor<2x16x64xf32>, tensor<64x8xf32>
// CHECK: return %[[S]], %[[I]], %[[P]] : tensor<2x16x2xf32>, tensor<2x16x2xi32>, tensor<2x16x8xf32>
// Mixtral-style routing; all three result types are inferred.
func.func @router_softmax_renormalize(%x: tensor<2x16x64xf32>, %w: tensor<64x8xf32>) -> (tensor<2x16x2xf32>, tensor<2x16x2xi32>, tensor<2x16x8xf32>) {
  %s, %i, %p = moe.router %x, %w scoring = softmax top_k = 2 renormalize : tensor<2x16x64xf32>, tensor<64x8xf32>
  return %s, %i, %p : tensor<2x16x2xf32>, tensor<2x16x2xi32>, tensor<2x16x8xf32>
}

// CHECK-LABEL: func.func @router_sigmoid_bias
// CHECK-SAME: %[[B:[^:]*]]: tensor<8xf32>
// CHECK: moe.router %{{.*}}, %{{.*}} bias %[[B]] scoring = sigmoid top_k = 4 :
// CHECK-SAME: tensor<2x16x64xf32>, tensor<64x8xf32>, tensor<8xf32>
// DeepSeek-V3-style: sigmoid scores, expert bias for aux-loss-free balancing.
func.func @router_sigmoid_bias(%x: tensor<2x16x64xf32>, %w: tensor<64x8xf32>, %b: tensor<8xf32>) -> tensor<2x16x4xi32> {
  %s, %i, %p = moe.router %x, %w bias %b scoring = sigmoid top_k = 4 : tensor<2x16x64xf32>, tensor<64x8xf32>, tensor<8xf32>
  return %i : tensor<2x16x4xi32>
}

// CHECK-LABEL: func.func @router_top_all
// CHECK: moe.router {{.*}} scoring = softmax top_k = 8 :
// top_k may equal the number of experts.
func.func @router_top_all(%x: tensor<1x4x16xf32>, %w: tensor<16x8xf32>) -> tensor<1x4x8xf32> {
  %s, %i, %p = moe.router %x, %w scoring = softmax top_k = 8 : tensor<1x4x16xf32>, tensor<16x8xf32>
  return %s : tensor<1x4x8xf32>
}
