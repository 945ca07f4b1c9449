// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// The standalone enum attributes used by the typed ops' generic form.

// CHECK-LABEL: func.func @enum_attrs_reduction
// CHECK-SAME: a = #spmd.reduction<sum>
// CHECK-SAME: b = #spmd.reduction<avg>
// CHECK-SAME: c = #spmd.reduction<max>
// Every reduction kind round-trips.
func.func @enum_attrs_reduction() attributes {a = #spmd.reduction<sum>, b = #spmd.reduction<avg>, c = #spmd.reduction<max>} {
  return
}

// CHECK-LABEL: func.func @enum_attrs_local_kind
// CHECK-SAME: i = #spmd.local_kind<I>
// CHECK-SAME: p = #spmd.local_kind<P>
// CHECK-SAME: r = #spmd.local_kind<R>
// CHECK-SAME: v = #spmd.local_kind<V>
// Every local kind round-trips.
func.func @enum_attrs_local_kind() attributes {i = #spmd.local_kind<I>, p = #spmd.local_kind<P>, r = #spmd.local_kind<R>, v = #spmd.local_kind<V>} {
  return
}
