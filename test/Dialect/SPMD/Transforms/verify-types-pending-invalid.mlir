// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// A pending sum typed V (the output of a contraction over operands split on
// an axis) obeys the rules of P. These are the collectives a partitioned
// program may not lose.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// The row-parallel output goes into a norm without its all-reduce.
func.func @negative_pending_into_norm(%x: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                      %w: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                      %n: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<2x8xf32> {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here: the op contracts operands split on tp}}
  %y = moe.linear %x, %w : tensor<2x4xf32>, tensor<4x8xf32>
  // expected-error @+1 {{'moe.rms_norm' op is non-linear in operand #0 (%0), which is V on axis tp of @mesh[dense] but a pending sum (see the note): a non-linear op of a partial sum is not the partial sum of the op; reduce it first (spmd.all_reduce V -> R)}}
  %z = moe.rms_norm %y, %n : tensor<2x8xf32>, tensor<8xf32>
  return %z : tensor<2x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// ... or into the residual stream, which is whole on every rank.
func.func @negative_pending_plus_replicate(%x: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                           %w: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                           // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
                                           %h: tensor<2x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<2x8xf32> {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here}}
  %y = moe.linear %x, %w : tensor<2x4xf32>, tensor<4x8xf32>
  // expected-error @+1 {{'moe.add' op adds operand #1 (%0), which is V on axis tp of @mesh[dense] but a pending sum (see the note), to operand #0 (%arg2), which is R: the pending sum would count that term 2 times (once per rank of tp); reduce the pending sum first (spmd.all_reduce V -> R), or make the other term one too (spmd.convert R -> P, after spmd.reinterpret V -> P)}}
  %s = moe.add %h, %y : tensor<2x8xf32>
  return %s : tensor<2x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// A pending sum and a shard are different things.
func.func @negative_pending_plus_shard(%x: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                       %w: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                       // expected-note @+1 {{type V on axis tp of @mesh[dense] comes from here}}
                                       %v: tensor<2x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<2x8xf32> {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here}}
  %y = moe.linear %x, %w : tensor<2x4xf32>, tensor<4x8xf32>
  // expected-error @+1 {{'moe.add' op cannot mix a pending sum and V on axis tp of @mesh[dense]: operand #0 (%0) is V (a pending sum), operand #1 (%arg2) is V; reduce the partial value first (spmd.all_reduce V -> R, or spmd.reinterpret V -> P, then spmd.reduce_scatter P -> V)}}
  %s = moe.add %y, %v : tensor<2x8xf32>
  return %s : tensor<2x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// One spelling per sum: say that the V one is P first.
func.func @negative_pending_plus_partial(%x: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                         %w: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                         // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
                                         %p: tensor<2x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>}) -> tensor<2x8xf32> {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here}}
  %y = moe.linear %x, %w : tensor<2x4xf32>, tensor<4x8xf32>
  // expected-error @+1 {{'moe.add' op cannot mix P and a pending sum typed V on axis tp of @mesh[dense]: operand #0 (%arg2) is P, operand #1 (%0) is V (a pending sum); say that it is P first (spmd.reinterpret V -> P)}}
  %s = moe.add %p, %y : tensor<2x8xf32>
  return %s : tensor<2x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// A product of two pending sums.
func.func @negative_pending_two_factors(%x: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                        %w: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                        // expected-note @+1 {{type P on axis tp of @mesh[dense] comes from here}}
                                        %p: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>}) -> tensor<2x8xf32> {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here}}
  %y = moe.linear %x, %w : tensor<2x4xf32>, tensor<4x8xf32>
  // expected-error @+1 {{'moe.linear' op has P in two factors on axis tp of @mesh[dense]: operand #0 (%0) is V (a pending sum) and operand #1 (%arg2) is P, and a product of pending sums is not a pending sum; reduce one of them first}}
  %z = moe.linear %y, %p : tensor<2x8xf32>, tensor<8x8xf32>
  return %z : tensor<2x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// An op the checker has no rule for may not be linear.
func.func @negative_pending_unknown_op(%x: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                       %w: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<2x8xf32> {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here}}
  %y = moe.linear %x, %w : tensor<2x4xf32>, tensor<4x8xf32>
  // expected-error @+1 {{'math.absf' op cannot type 'math.absf' on axis tp of @mesh[dense]: operand #0 (%0) is V but a pending sum (see the note) and the checker does not know whether this op is linear; reduce it first (spmd.all_reduce V -> R)}}
  %a = math.absf %y : tensor<2x8xf32>
  return %a : tensor<2x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// Gathering partial sums concatenates them as if they were shards.
func.func @negative_pending_gathered(%x: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                     %w: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<4x8xf32> {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here}}
  %y = moe.linear %x, %w : tensor<2x4xf32>, tensor<4x8xf32>
  // expected-error @+1 {{'spmd.all_gather' op operand %0 is V on axis tp of @mesh[dense] but a pending sum (see the note), and 'spmd.all_gather' (V -> R) would treat its partial sums as shards; reduce it (spmd.all_reduce V -> R, or spmd.reinterpret V -> P, then spmd.reduce_scatter P -> V)}}
  %g = spmd.all_gather %y over @mesh[dense] [tp] (V -> R) dim 0 : tensor<2x8xf32> -> tensor<4x8xf32>
  return %g : tensor<4x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// Returned as a shard, a pending sum leaves its reduction to nobody.
func.func @negative_pending_returned_as_shard(%x: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                              %w: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>})
    -> (tensor<2x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here}}
  %y = moe.linear %x, %w : tensor<2x4xf32>, tensor<4x8xf32>
  // expected-error @+1 {{result #0 (%0) is typed V but a pending sum on axis tp of @mesh[dense], but the function declares it V (a shard): reduce it (spmd.reinterpret V -> P, then spmd.reduce_scatter P -> V), or say that it is P (spmd.reinterpret V -> P) and declare P}}
  return %y : tensor<2x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// Returned as whole, it misses its all-reduce.
func.func @negative_pending_returned_as_replicate(%x: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                                  %w: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>})
    -> (tensor<2x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here}}
  %y = moe.linear %x, %w : tensor<2x4xf32>, tensor<4x8xf32>
  // expected-error @+1 {{result #0 (%0) is typed V but a pending sum on axis tp of @mesh[dense], but the function declares it R: reduce it first (spmd.all_reduce V -> R)}}
  return %y : tensor<2x8xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// A loop-carried value keeps its type, and a pending sum is not a shard.
func.func @negative_pending_loop(%x: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                 %w: tensor<4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<2x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %r = scf.for %i = %c0 to %c2 step %c1 iter_args(%acc = %x) -> (tensor<2x4xf32>) {
    %y = moe.linear %acc, %w : tensor<2x4xf32>, tensor<4x4xf32>
    // expected-error @+1 {{'scf.yield' op loop-carried value #0 enters 'scf.for' typed {dense.tp = V} but is yielded typed {dense.tp = V (pending sum)}}}
    scf.yield %y : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// An invariant value mixes with nothing, a pending sum included.
func.func @negative_pending_with_invariant(%x: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                           %w: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                                           // expected-note @+1 {{type I on axis tp of @mesh[dense] comes from here}}
                                           %i: tensor<2x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = I}>}) -> tensor<2x8xf32> {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here}}
  %y = moe.linear %x, %w : tensor<2x4xf32>, tensor<4x8xf32>
  // expected-error @+1 {{'moe.add' op cannot mix I and V (a pending sum) on axis tp of @mesh[dense]: operand #0 (%arg2) is I, operand #1 (%0) is V (a pending sum); reduce the pending sum first (spmd.all_reduce V -> I)}}
  %s = moe.add %i, %y : tensor<2x8xf32>
  return %s : tensor<2x8xf32>
}
