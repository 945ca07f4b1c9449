// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// S(d) is a global placement, not a local type.
// expected-error @+1 {{expected a local SPMD type R, I, V or P, got 'S'}}
func.func @negative_local_type_placement_keyword() attributes {t = #spmd.local<@mesh[dense] {tp = S}>} {
  return
}

// -----

// An axis typed twice has no single type.
// expected-error @+1 {{axis 'tp' is listed more than once}}
func.func @negative_local_type_duplicate_axis() attributes {t = #spmd.local<@mesh[dense] {tp = R, tp = V}>} {
  return
}

// -----

// Local types name one of the two views too.
// expected-error @+1 {{unknown mesh view 'experts' (expected 'dense' or 'expert')}}
func.func @negative_local_type_unknown_view() attributes {t = #spmd.local<@mesh[experts] {ep = V}>} {
  return
}
