// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// min is not a reduction kind.
// expected-error @+2 {{expected ::moefold::spmd::ReductionKind to be one of: sum, avg, max}}
// expected-error @+1 {{failed to parse SPMD_ReductionKindAttr parameter 'value'}}
func.func @negative_enum_attrs_reduction() attributes {a = #spmd.reduction<min>} {
  return
}

// -----

// X is not a local kind.
// expected-error @+2 {{expected ::moefold::spmd::LocalTypeKind to be one of: R, I, V, P}}
// expected-error @+1 {{failed to parse SPMD_LocalTypeKindAttr parameter 'value'}}
func.func @negative_enum_attrs_local_kind() attributes {a = #spmd.local_kind<X>} {
  return
}
