// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// After moe-partition a parameter's `type` is its per-rank type and
// `global_type` the global one; the placement describes the global tensor.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// CHECK-LABEL: moe.param @wq
// CHECK-SAME: : tensor<64x32xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> {global_type = tensor<64x64xf32>}
// A column-parallel weight: the columns split over tp.
moe.param @wq : tensor<64x32xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> {global_type = tensor<64x64xf32>}

// CHECK-LABEL: moe.param @tiny
// CHECK-SAME: : tensor<1x8xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(0)}> {global_type = tensor<2x8xf32>}
// A local dim of 1: divisibility is checked on the global dim (2 over tp = 2),
// not on the local one.
moe.param @tiny : tensor<1x8xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(0)}> {global_type = tensor<2x8xf32>}

// CHECK-LABEL: moe.param @norm
// CHECK-SAME: : tensor<64xf32> family = norm {global_type = tensor<64xf32>}
// Replicated: the local type is the global one.
moe.param @norm : tensor<64xf32> family = norm {global_type = tensor<64xf32>}

// CHECK-LABEL: moe.param @w_gate
// CHECK-SAME: : tensor<8x64x128xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}> {global_type = tensor<8x64x128xf32>}
// Split over a size-1 axis: whole on every rank.
moe.param @w_gate : tensor<8x64x128xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}> {global_type = tensor<8x64x128xf32>}

// CHECK-LABEL: moe.param @both
// CHECK-SAME: {global_type = tensor<64x64xf32>}
// Split over both dense axes.
moe.param @both : tensor<32x32xf32> family = dense placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = S(1)}> {global_type = tensor<64x64xf32>}
