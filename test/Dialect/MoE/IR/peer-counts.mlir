// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @peer_counts
// CHECK: %[[R:.*]] = moe.peer_counts %{{.*}} peers = 4 : tensor<8xi32>
// CHECK: return %[[R]] : tensor<4xi32>
// Per-expert counts of 8 experts, summed per peer of 4 (2 experts each).
func.func @peer_counts(%sizes: tensor<8xi32>) -> tensor<4xi32> {
  %0 = moe.peer_counts %sizes peers = 4 : tensor<8xi32>
  return %0 : tensor<4xi32>
}

// CHECK-LABEL: func.func @peer_counts_one_peer
// CHECK: moe.peer_counts %{{.*}} peers = 1 : tensor<6xi32>
func.func @peer_counts_one_peer(%sizes: tensor<6xi32>) -> tensor<1xi32> {
  %0 = moe.peer_counts %sizes peers = 1 : tensor<6xi32>
  return %0 : tensor<1xi32>
}
