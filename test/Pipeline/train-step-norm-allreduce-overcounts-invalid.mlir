// RUN: sed 's/^  spmd.mesh @mesh .*$/  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]/' %moefold_src/examples/tiny_moe.mlir \
// RUN:   | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition \
// RUN:   | sed '/func.func @moefold_train_step/,$ s/= spmd.all_reduce \(%[0-9]*\) over @mesh\[dense\] \[tp\] (V -> R) : tensor<f32>$/= spmd.all_reduce \1 over @mesh[dense] [dp, tp] (V -> R) : tensor<f32>/' \
// RUN:   | not moefold-opt --spmd-verify-types 2>&1 | FileCheck %s --implicit-check-not=error:

// The example's training step on world 4 = dp 2 x tp 2, partitioned, with
// the gradient norm's all-reduce of the tp-split gradients' squares widened
// from [tp] to [dp, tp]. After the data-parallel gradient all-reduce those
// gradients are replicated over dp: summing their squares over dp counts
// every element twice (deepspeed-5259's norm bug, the other way round).

// CHECK: error: 'spmd.all_reduce' op operand %{{[0-9]+}} is typed R on axis dp of @mesh[dense], but the op expects src V (it is whole on every rank of dp: summing it over dp counts it 2 times)
// CHECK: note: type R on axis dp of @mesh[dense] comes from here
// CHECK-NEXT: spmd.all_reduce {{.*}} over @mesh[dense] [dp] (V -> R)
