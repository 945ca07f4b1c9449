// RUN: moefold-opt %s | moefold-opt | FileCheck %s

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @all_to_all_ragged
// CHECK-SAME: %[[X:[^:]*]]: tensor<64x16xf32>
// CHECK-SAME: %[[S:[^:]*]]: tensor<4xi64>
// CHECK-SAME: %[[R:[^:]*]]: tensor<4xi64>
// CHECK: spmd.all_to_all %[[X]], %[[S]], %[[R]] over @mesh[expert] [ep] (V -> V) : tensor<64x16xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x16xf32>
// The MoE dispatch: one count per ep peer, received rows dynamic.
func.func @all_to_all_ragged(%x: tensor<64x16xf32>, %send: tensor<4xi64>, %recv: tensor<4xi64>) -> tensor<?x16xf32> {
  %y = spmd.all_to_all %x, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<64x16xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @all_to_all_dynamic_counts
// CHECK: spmd.all_to_all %{{.*}}, %{{.*}}, %{{.*}} over @mesh[expert] [ep] (V -> V) : tensor<?x2x8xbf16>, tensor<?xi32>, tensor<?xi32> -> tensor<?x2x8xbf16>
// Dynamic-length counts and i32 counts are accepted; rank 3 rows.
func.func @all_to_all_dynamic_counts(%x: tensor<?x2x8xbf16>, %send: tensor<?xi32>, %recv: tensor<?xi32>) -> tensor<?x2x8xbf16> {
  %y = spmd.all_to_all %x, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<?x2x8xbf16>, tensor<?xi32>, tensor<?xi32> -> tensor<?x2x8xbf16>
  return %y : tensor<?x2x8xbf16>
}
