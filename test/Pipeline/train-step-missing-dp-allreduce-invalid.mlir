// RUN: sed 's/^  spmd.mesh @mesh .*$/  spmd.mesh @mesh world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]/' %moefold_src/examples/tiny_moe.mlir \
// RUN:   | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition \
// RUN:   | sed '/func.func @moefold_train_step/,$ s/= spmd.all_reduce %dweight over @mesh\[dense\] \[dp\] (V -> R) : \(tensor<[0-9x]*f32>\)$/= tensor.cast %dweight : \1 to \1/' \
// RUN:   | not moefold-opt --spmd-verify-types 2>&1 | FileCheck %s --implicit-check-not=error:
// RUN: sed 's/^  spmd.mesh @mesh .*$/  spmd.mesh @mesh world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]/' %moefold_src/examples/tiny_moe.mlir \
// RUN:   | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition \
// RUN:   | sed '/func.func @moefold_train_step/,$ { s/= spmd.all_reduce %dweight over @mesh\[dense\] \[dp\] (V -> R) : \(tensor<[0-9x]*f32>\)$/= tensor.cast %dweight : \1 to \1/; /moe.set_state @grad\./d; }' \
// RUN:   | not moefold-opt --spmd-verify-types 2>&1 | FileCheck %s --check-prefix=NORM --implicit-check-not=error:

// The example's training step on world 2 = dp 2, partitioned, with the data
// parallel all-reduce of the LM head's gradient removed (the collective
// replaced by a no-op cast). The gradient over this rank's tokens is a
// pending sum over dp, typed V as moe.linear_grad computes it; stored into
// the replicated gradient buffer, or taken into the gradient norm and the
// optimizer, it is one rank's share used as the whole.

// CHECK: error: 'moe.set_state' op writes {{%[a-z0-9_]+}}, which is V on axis dp of @mesh[dense] but a pending sum, into @grad.lm_head, which is R there: all-reduce it over dp first (a gradient that is this rank's share of a sum over dp misses its all-reduce)
// CHECK: note: pending sum over axis dp of @mesh[dense] (typed V) made here: the op contracts operands split on dp
// CHECK-NEXT: %dx, %dweight = moe.linear_grad
// CHECK: note: type R on axis dp of @mesh[dense] comes from here
// CHECK-NEXT: moe.state @grad.lm_head

// Without the gradient buffers, the norm (before the update) reports it.
// NORM: error: 'moe.global_norm' op is non-linear in operand #{{[0-9]+}} ({{%[a-z0-9_]+}}), which is V on axis dp of @mesh[dense] but a pending sum (see the note): a non-linear op of a partial sum is not the partial sum of the op; reduce it first (spmd.all_reduce V -> R)
// NORM: note: pending sum over axis dp of @mesh[dense] (typed V) made here
// NORM-NEXT: %dx, %dweight = moe.linear_grad
