// RUN: sed 's/^  spmd.mesh @mesh .*$/  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]/' %moefold_src/examples/tiny_moe.mlir \
// RUN:   | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition \
// RUN:   | sed '/func.func @moefold_train_step/,$ { /= moe.attention %/,/spmd.all_reduce/ s/= spmd.all_reduce \(%[0-9]*\) over @mesh\[dense\] \[tp\] (P -> R) : \(tensor<[0-9x]*f32>\)$/= tensor.cast \1 : \2 to \2/; }' \
// RUN:   | not moefold-opt --spmd-verify-types 2>&1 | FileCheck %s --implicit-check-not=error:
// RUN: sed 's/^  spmd.mesh @mesh .*$/  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]/' %moefold_src/examples/tiny_moe.mlir \
// RUN:   | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition \
// RUN:   | sed '/func.func @moefold_train_step/,$ { /= moe.attention %/,/spmd.all_reduce/ s/= spmd.all_reduce \(%[0-9]*\) over @mesh\[dense\] \[tp\] (V -> R) : \(tensor<[0-9x]*f32>\)$/= tensor.cast \1 : \2 to \2/; }' \
// RUN:   | not moefold-opt --spmd-verify-types 2>&1 | FileCheck %s --check-prefix=LAYER1 --implicit-check-not=error:

// The example's training step on world 4 = dp 2 x tp 2, partitioned, with
// the forward all-reduce after a row-parallel attention output removed.

// Layer 0: the residual stream is a pending sum over tp (the vocab-parallel
// embedding plus the row-parallel output, reinterpreted V -> P); without its
// all-reduce it goes into the norm.
// CHECK: error: 'moe.rms_norm' op is non-linear in operand #0 ({{%[a-z0-9_]+}}), which is P on axis tp of @mesh[dense] (a pending sum): a non-linear op of a partial sum is not the partial sum of the op; reduce it first (spmd.all_reduce P -> R)
// CHECK: note: type P on axis tp of @mesh[dense] comes from here

// Layer 1: the row-parallel output, typed V as moe.linear computes it, is a
// pending sum over tp; without its all-reduce it goes into the residual
// stream, which is whole on every rank.
// LAYER1: error: 'moe.add' op adds operand #1 ({{%[a-z0-9_]+}}), which is V on axis tp of @mesh[dense] but a pending sum (see the note), to operand #0 (%{{[0-9]+}}), which is R: the pending sum would count that term 2 times (once per rank of tp); reduce the pending sum first (spmd.all_reduce V -> R)
// LAYER1: note: pending sum over axis tp of @mesh[dense] (typed V) made here: the op contracts operands split on tp
// LAYER1-NEXT: = moe.linear
// LAYER1: note: type R on axis tp of @mesh[dense] comes from here
