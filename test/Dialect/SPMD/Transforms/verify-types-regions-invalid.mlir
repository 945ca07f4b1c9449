// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// Values carried around a loop or out of an if keep one type.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// An accumulator that enters partial and leaves reduced has no single type
// across iterations.
func.func @negative_regions_loop_changes_type(
    %acc: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>}) -> tensor<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%a = %acc) -> (tensor<8xf32>) {
    %s = spmd.all_reduce %a over @mesh[dense] [tp] (P -> R) : tensor<8xf32>
    // expected-error @+1 {{'scf.yield' op loop-carried value #0 enters 'scf.for' typed {dense.tp = P} but is yielded typed {dense.tp = R}}}
    scf.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The branches of an if disagree on the type of its result.
func.func @negative_regions_if_branches_differ(%c: i1,
    %a: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %b: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<8xf32> {
  // expected-error @+1 {{'scf.if' op result #0 is yielded typed {dense.tp = V} by one branch and {dense.tp = R} by the other}}
  %r = scf.if %c -> (tensor<8xf32>) {
    scf.yield %a : tensor<8xf32>
  } else {
    scf.yield %b : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}
