// RUN: sed 's/^  spmd.mesh @mesh .*$/  spmd.mesh @mesh world = 4 dense = [dp, tp = 4] expert = [edp, ep = 1, etp = 1]/' %moefold_src/examples/tiny_moe.mlir \
// RUN:   | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition --spmd-verify-types \
// RUN:   | FileCheck %s

// The example's training step on world 4 = tp 4: 2 query heads and 1 kv
// head per rank; every collective is over tp.

// CHECK-LABEL: func.func @moefold_train_step(
// CHECK-NOT: [dp
// Layer 0's Megatron MLP (the shared expert), then layer 1's row-parallel
// attention output: each a pending sum over tp, all-reduced once.
// CHECK: moe.attention {{.*}} num_heads = 2 num_kv_heads = 1 causal
// CHECK: %[[SH:.*]] = moe.shared_expert
// CHECK: spmd.all_reduce %[[SH]] over @mesh[dense] [tp] (V -> R) : tensor<8x16x64xf32>
// CHECK: %[[ATT:.*]] = moe.attention
// CHECK: %[[ROW:.*]] = moe.linear %[[ATT]]
// CHECK: spmd.all_reduce %[[ROW]] over @mesh[dense] [tp] (V -> R) : tensor<8x16x64xf32>

// The gradient norm: the tp-split gradients' squares summed over tp.

// CHECK: %[[N1:.*]] = moe.global_norm
// CHECK: %[[N2:.*]] = moe.global_norm
// CHECK: %[[S2:.*]] = arith.mulf %[[N2]], %[[N2]] : tensor<f32>
// CHECK: spmd.all_reduce %[[S2]] over @mesh[dense] [tp] (V -> R) : tensor<f32>
