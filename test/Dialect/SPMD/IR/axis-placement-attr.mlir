// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// The standalone axis placement: R, S(d) and P(kind).

// CHECK-LABEL: func.func @axis_placement_forms
// CHECK-SAME: a = #spmd.axis_placement<R>
// CHECK-SAME: b = #spmd.axis_placement<S(1)>
// CHECK-SAME: c = #spmd.axis_placement<P(avg)>
// Each of the three forms prints back unchanged.
func.func @axis_placement_forms() attributes {a = #spmd.axis_placement<R>, b = #spmd.axis_placement<S(1)>, c = #spmd.axis_placement<P(avg)>} {
  return
}
