// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// Global placements round-trip in their compact form. They are held here as
// plain function attributes, which no verifier resolves against a mesh.

// CHECK-LABEL: func.func @placement_dense_tp_sharded
// CHECK-SAME: p = #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>
// Column-parallel weight: the usual dense TP placement.
func.func @placement_dense_tp_sharded() attributes {p = #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>} {
  return
}

// CHECK-LABEL: func.func @placement_expert_sharded
// CHECK-SAME: p = #spmd.placement<@mesh[expert] {ep = S(0)}>
// Routed-expert weights shard the expert dimension over ep.
func.func @placement_expert_sharded() attributes {p = #spmd.placement<@mesh[expert] {ep = S(0)}>} {
  return
}

// CHECK-LABEL: func.func @placement_partial_kinds
// CHECK-SAME: p0 = #spmd.placement<@mesh[dense] {tp = P(sum)}>
// CHECK-SAME: p1 = #spmd.placement<@mesh[dense] {dp = P(avg), tp = P(max)}>
// Every reduction kind prints back by name.
func.func @placement_partial_kinds() attributes {p0 = #spmd.placement<@mesh[dense] {tp = P(sum)}>, p1 = #spmd.placement<@mesh[dense] {dp = P(avg), tp = P(max)}>} {
  return
}

// CHECK-LABEL: func.func @placement_replicated_empty
// CHECK-SAME: p = #spmd.placement<@mesh[dense] {}>
// Listing no axis means replicated on the whole view.
func.func @placement_replicated_empty() attributes {p = #spmd.placement<@mesh[dense] {}>} {
  return
}

// CHECK-LABEL: func.func @placement_two_axes_one_dim
// CHECK-SAME: p = #spmd.placement<@mesh[dense] {dp = S(0), tp = S(0)}>
// Two axes may shard the same dimension (dp outer, tp inner).
func.func @placement_two_axes_one_dim() attributes {p = #spmd.placement<@mesh[dense] {dp = S(0), tp = S(0)}>} {
  return
}
