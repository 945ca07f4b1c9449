// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// The conservative rule for ops the checker has no rule for.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// R and V would mix in a known op; an unknown one could be anything.
func.func @negative_unknown_op_mixed(
    // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
    %r: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
    %v: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<8xf32> {
  // expected-error @+1 {{'tensor.concat' op cannot type 'tensor.concat' on axis tp of @mesh[dense]: operand #0 (%arg0) is R but operand #1 (%arg1) is V, and the checker has no typing rule for this op (all operands of an unknown op must have one type)}}
  %c = tensor.concat dim(0) %r, %v : (tensor<4xf32>, tensor<4xf32>) -> tensor<8xf32>
  return %c : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// |P| is not the partial sum of |parts|; an unknown op might be non-linear.
func.func @negative_unknown_op_partial(
    // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
    %p: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'math.absf' op cannot type 'math.absf' on axis tp of @mesh[dense]: operand #0 (%arg0) is P (a pending sum) and the checker does not know whether this op is linear; reduce it first (spmd.all_reduce)}}
  %a = math.absf %p : tensor<4xf32>
  return %a : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Region ops other than scf.for, scf.if and linalg ops are not modelled.
func.func @negative_unknown_op_region(
    %x: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<4xf32> {
  // expected-error @+1 {{'scf.execute_region' op cannot be typed: the local type checker handles region ops scf.for, scf.if and linalg ops only}}
  %r = scf.execute_region -> tensor<4xf32> {
    scf.yield %x : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
