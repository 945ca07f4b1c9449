// RUN: moefold-opt %s --spmd-verify-types=print-types | FileCheck %s

// Integer data (token ids, expert indices, group sizes) has no gradient, so
// R and I mean the same for it: R or I indices combine with float operands
// of either type.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @integer_indices_neutral
// CHECK: moe.dispatch {{.*}}spmd.types = {{\[}}[#spmd.local<@mesh[dense] {dp = V, tp = I}>], [#spmd.local<@mesh[dense] {dp = V, tp = R}>]]
// CHECK: moe.embedding {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// R indices with an I activation keep it I; the group sizes, computed from
// the indices alone, keep the indices' type; I tokens index a V table.
func.func @integer_indices_neutral(%x: tensor<1x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
                                   %idx: tensor<1x4x2xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
                                   %table: tensor<16x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>},
                                   %tokens: tensor<1x4xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>}) -> tensor<8x8xf32> {
  %sorted, %sizes = moe.dispatch %x, %idx num_experts = 4 : tensor<1x4x8xf32>, tensor<1x4x2xi32>
  %e = moe.embedding %table, %tokens : tensor<16x8xf32>, tensor<1x4xi32>
  return %sorted : tensor<8x8xf32>
}

// CHECK-LABEL: func.func @integer_varying_indices
// CHECK: moe.dispatch {{.*}}spmd.types = {{\[}}[#spmd.local<@mesh[dense] {tp = V}>], [#spmd.local<@mesh[dense] {tp = V}>]]
// Varying indices still make the result varying.
func.func @integer_varying_indices(%x: tensor<1x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
                                   %idx: tensor<1x4x2xi32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<8x8xf32> {
  %sorted, %sizes = moe.dispatch %x, %idx num_experts = 4 : tensor<1x4x8xf32>, tensor<1x4x2xi32>
  return %sorted : tensor<8x8xf32>
}

// CHECK-LABEL: func.func @integer_convert_invariant_as_replicate
// CHECK: spmd.convert {{.*}}spmd.types = [#spmd.local<@mesh[dense] {tp = V}>]
// A typed convert accepts I indices where it says R: without a gradient the
// two are the same.
func.func @integer_convert_invariant_as_replicate(%idx: tensor<2x4x2xi32> {spmd.local = #spmd.local<@mesh[dense] {tp = I}>}) -> tensor<1x4x2xi32> {
  %part = spmd.convert %idx over @mesh[dense] [tp] (R -> V) dim 0 : tensor<2x4x2xi32> -> tensor<1x4x2xi32>
  return %part : tensor<1x4x2xi32>
}
