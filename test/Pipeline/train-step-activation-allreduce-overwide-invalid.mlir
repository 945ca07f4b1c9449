// RUN: sed 's/^  spmd.mesh @mesh .*$/  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]/' %moefold_src/examples/tiny_moe.mlir \
// RUN:   | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition \
// RUN:   | sed '/func.func @moefold_train_step/,$ { /= moe.attention %/,/spmd.all_reduce/ s/= spmd.all_reduce \(%[0-9]*\) over @mesh\[dense\] \[tp\] (V -> R) : \(tensor<[0-9x]*f32>\)$/= spmd.all_reduce \1 over @mesh[dense] [dp, tp] (V -> R) : \2/; }' \
// RUN:   | not moefold-opt --spmd-verify-types 2>&1 | FileCheck %s --implicit-check-not=error:

// The example's training step on world 4 = dp 2 x tp 2, partitioned, with
// layer 1's all-reduce of the row-parallel attention output widened from
// [tp] to [dp, tp]. The output is a pending sum over tp but this rank's
// tokens over dp (the batch argument is split there): summing it over dp
// adds different tokens together.

// CHECK: error: 'spmd.all_reduce' op operand %{{[0-9]+}} is V on axis dp of @mesh[dense], a shard of data split over dp (not a partial sum), and 'spmd.all_reduce' (V -> R) would sum it over dp, adding up different ranks' data; all-gather it (spmd.all_gather V -> R) to make it whole
// CHECK: note: type V on axis dp of @mesh[dense] comes from here
// CHECK-NEXT: func.func @moefold_train_step(
