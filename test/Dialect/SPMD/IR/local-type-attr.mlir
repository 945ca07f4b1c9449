// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// Local SPMD types round-trip with every axis listed explicitly.

// CHECK-LABEL: func.func @local_type_dense
// CHECK-SAME: t = #spmd.local<@mesh[dense] {dp = V, tp = R}>
// A data-parallel activation that is replicated over tp.
func.func @local_type_dense() attributes {t = #spmd.local<@mesh[dense] {dp = V, tp = R}>} {
  return
}

// CHECK-LABEL: func.func @local_type_all_kinds
// CHECK-SAME: t = #spmd.local<@mesh[expert] {edp = I, ep = V, etp = P}>
// All four kinds parse and print by their letter.
func.func @local_type_all_kinds() attributes {t = #spmd.local<@mesh[expert] {edp = I, ep = V, etp = P}>} {
  return
}
