// RUN: sed 's/^  spmd.mesh @mesh .*$/  spmd.mesh @mesh world = 8 dense = [dp, tp = 4] expert = [edp, ep = 1, etp = 1]/' %moefold_src/examples/tiny_moe.mlir \
// RUN:   | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition --spmd-verify-types \
// RUN:   | FileCheck %s

// The example's training step on world 8 = dp 2 x tp 4 (the shipped world
// size, with expert parallelism off): the type checker accepts the whole
// step.

// CHECK-LABEL: func.func @moefold_train_step(
// CHECK: moe.attention {{.*}} num_heads = 2 num_kv_heads = 1 causal : tensor<4x16x16xf32>, tensor<4x16x8xf32>, tensor<4x16x8xf32>
// CHECK: %[[SH:.*]] = moe.shared_expert
// CHECK: spmd.all_reduce %[[SH]] over @mesh[dense] [tp] (V -> R) : tensor<4x16x64xf32>
// The loss: vocab-parallel over tp (the LM head's logits stay split), this
// rank's share of the global mean, summed over dp.
// CHECK: %[[SHARE:.*]] = moe.vocab_cross_entropy {{.*}} num_tokens = 128 : tensor<4x16xf32>
// CHECK: spmd.all_reduce %[[SHARE]] over @mesh[dense] [dp] (V -> R) : tensor<f32>

// CHECK: %[[G:.*]] = spmd.all_reduce %dweight over @mesh[dense] [dp] (V -> R) : tensor<64x64xf32>
// CHECK: moe.set_state @grad.lm_head, %[[G]]
// CHECK: %[[N0:.*]] = moe.global_norm {{.*}}%[[G]] :
// CHECK: %[[S0:.*]] = arith.mulf %[[N0]], %[[N0]] : tensor<f32>
// CHECK: spmd.all_reduce %[[S0]] over @mesh[dense] [tp] (V -> R) : tensor<f32>
