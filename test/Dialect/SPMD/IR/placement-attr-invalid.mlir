// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// An axis listed twice has two placements; which one holds is ambiguous.
// expected-error @+1 {{axis 'tp' is listed more than once}}
func.func @negative_placement_duplicate_axis() attributes {p = #spmd.placement<@mesh[dense] {tp = R, tp = S(0)}>} {
  return
}

// -----

// Only the dense and expert views exist.
// expected-error @+1 {{unknown mesh view 'pipeline' (expected 'dense' or 'expert')}}
func.func @negative_placement_unknown_view() attributes {p = #spmd.placement<@mesh[pipeline] {tp = R}>} {
  return
}

// -----

// A typo in the placement keyword must not parse as something else.
// expected-error @+1 {{expected an axis placement R, S(dim) or P(sum|avg|max), got 'Shard'}}
func.func @negative_placement_bad_keyword() attributes {p = #spmd.placement<@mesh[dense] {tp = Shard(0)}>} {
  return
}

// -----

// min is not a supported pending reduction.
// expected-error @+1 {{unknown reduction 'min' (expected sum, avg or max)}}
func.func @negative_placement_unknown_reduction() attributes {p = #spmd.placement<@mesh[dense] {tp = P(min)}>} {
  return
}

// -----

// A negative dimension (Python's "last dim") is not accepted in the IR.
// expected-error @+1 {{sharded dimension must be non-negative, got -1}}
func.func @negative_placement_negative_dim() attributes {p = #spmd.placement<@mesh[dense] {tp = S(-1)}>} {
  return
}
