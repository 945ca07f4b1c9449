// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Lower-case r is not the replicated keyword.
// expected-error @+1 {{expected an axis placement R, S(dim) or P(sum|avg|max), got 'r'}}
func.func @negative_axis_placement_keyword() attributes {a = #spmd.axis_placement<r>} {
  return
}

// -----

// S needs its dimension in parentheses.
// expected-error @+1 {{expected '('}}
func.func @negative_axis_placement_missing_dim() attributes {a = #spmd.axis_placement<S>} {
  return
}

// -----

// The standalone form checks the dimension like the placement does.
// expected-error @+1 {{sharded dimension must be non-negative, got -2}}
func.func @negative_axis_placement_negative_dim() attributes {a = #spmd.axis_placement<S(-2)>} {
  return
}

// -----

// The standalone form checks the reduction like the placement does.
// expected-error @+1 {{unknown reduction 'prod' (expected sum, avg or max)}}
func.func @negative_axis_placement_reduction() attributes {a = #spmd.axis_placement<P(prod)>} {
  return
}
