// RUN: moefold-opt %s | FileCheck %s

// Group sizes come from the mesh, derived axes included: each gather's
// result is the operand times the product of the listed axes' sizes.

// world 8 = dp4 x tp2 = edp2 x ep4 x etp1
spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
// world 6 = dp2 x tp3 = edp3 x ep2 x etp1
spmd.mesh @mesh_w6 world = 6 dense = [dp, tp = 3] expert = [edp, ep = 2, etp = 1]
// The single-rank reference: every group has one rank.
spmd.mesh @mesh_w1 world = 1 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]

// CHECK-LABEL: func.func @group_size_derived_axes
// CHECK-COUNT-4: spmd.all_gather
// dp = 8/2 = 4 and edp = 8/4 = 2 are derived; etp contributes 1.
func.func @group_size_derived_axes(%x: tensor<1xf32>) -> (tensor<4xf32>, tensor<2xf32>, tensor<8xf32>, tensor<1xf32>) {
  %a = spmd.all_gather %x over @mesh[dense] [dp] (V -> R) dim 0 : tensor<1xf32> -> tensor<4xf32>
  %b = spmd.all_gather %x over @mesh[expert] [edp] (V -> R) dim 0 : tensor<1xf32> -> tensor<2xf32>
  %c = spmd.all_gather %x over @mesh[expert] [edp, ep, etp] (V -> R) dim 0 : tensor<1xf32> -> tensor<8xf32>
  %d = spmd.all_gather %x over @mesh[expert] [etp] (V -> R) dim 0 : tensor<1xf32> -> tensor<1xf32>
  return %a, %b, %c, %d : tensor<4xf32>, tensor<2xf32>, tensor<8xf32>, tensor<1xf32>
}

// CHECK-LABEL: func.func @group_size_world6
// CHECK-COUNT-2: spmd.all_gather
// A non-power-of-two factorisation: dp = 2, edp = 3.
func.func @group_size_world6(%x: tensor<1xf32>) -> (tensor<2xf32>, tensor<3xf32>) {
  %a = spmd.all_gather %x over @mesh_w6[dense] [dp] (V -> R) dim 0 : tensor<1xf32> -> tensor<2xf32>
  %b = spmd.all_gather %x over @mesh_w6[expert] [edp] (V -> R) dim 0 : tensor<1xf32> -> tensor<3xf32>
  return %a, %b : tensor<2xf32>, tensor<3xf32>
}

// CHECK-LABEL: func.func @group_size_world1
// CHECK: spmd.all_gather
// On one rank a gather keeps the size.
func.func @group_size_world1(%x: tensor<5xf32>) -> tensor<5xf32> {
  %a = spmd.all_gather %x over @mesh_w1[dense] [dp, tp] (V -> R) dim 0 : tensor<5xf32> -> tensor<5xf32>
  return %a : tensor<5xf32>
}
