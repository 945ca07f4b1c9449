// RUN: sed 's/^  spmd.mesh @mesh .*$/  spmd.mesh @mesh world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]/' %moefold_src/examples/tiny_moe.mlir \
// RUN:   | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition --spmd-verify-types \
// RUN:   | FileCheck %s

// The example's training step on world 2 = dp 2 (tp = 1): the batch splits
// over dp, every weight gradient is a pending sum over dp, all-reduced
// before it is stored and used; the type checker accepts the whole step.

// CHECK-LABEL: func.func @moefold_train_step(
// CHECK-SAME: tensor<4x16xi32> {moe.global_placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, moe.global_type = tensor<8x16xi32>, spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>}
// CHECK-NOT: [tp

// The DP gradient all-reduce of the LM head.
// CHECK: %[[G:.*]] = spmd.all_reduce %dweight over @mesh[dense] [dp] (V -> R) : tensor<64x256xf32>
// CHECK: moe.set_state @grad.lm_head, %[[G]]

// Every gradient is whole on every rank: one norm, no all-reduce.
// CHECK: %[[N:.*]] = moe.global_norm {{.*}}%[[G]] :
// CHECK-NOT: spmd.all_reduce
// CHECK: moe.clip_scale %[[N]]
// CHECK: moe.adamw_step {{.*}}, %[[G]],
