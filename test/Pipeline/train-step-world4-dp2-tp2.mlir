// RUN: sed 's/^  spmd.mesh @mesh .*$/  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]/' %moefold_src/examples/tiny_moe.mlir \
// RUN:   | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition --spmd-verify-types \
// RUN:   | FileCheck %s
// RUN: sed 's/^  spmd.mesh @mesh .*$/  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]/' %moefold_src/examples/tiny_moe.mlir \
// RUN:   | moefold-opt --moe-autodiff --moe-build-train-step="optimizer=sgd max-grad-norm=0" --moe-propagate-placements --moe-partition --spmd-verify-types \
// RUN:   | FileCheck %s --check-prefix=SGD

// The example's training step on world 4 = dp 2 x tp 2, with AdamW (and
// with plain SGD and no clipping): the type checker accepts the whole step.

// CHECK-LABEL: func.func @moefold_train_step(
// CHECK-SAME: tensor<4x16xi32> {{.*}}spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>

// The vocab-parallel embedding is a pending sum that came in as P; the
// row-parallel attention output joins it reinterpreted V -> P, and their sum
// is reduced once, before the norm.
// CHECK: %[[ATT:.*]] = moe.attention
// CHECK: %[[ROW:.*]] = moe.linear %[[ATT]]
// CHECK: %[[RP:.*]] = spmd.reinterpret %[[ROW]] over @mesh[dense] [tp] (V -> P)
// CHECK: %[[RES:.*]] = moe.add %{{.*}}, %[[RP]]
// CHECK: %[[RED:.*]] = spmd.all_reduce %[[RES]] over @mesh[dense] [tp] (P -> R) : tensor<4x16x64xf32>
// CHECK: moe.rms_norm %[[RED]]
// Layer 0's shared expert (a Megatron MLP): one all-reduce over tp.
// CHECK: %[[SH:.*]] = moe.shared_expert
// CHECK: spmd.all_reduce %[[SH]] over @mesh[dense] [tp] (V -> R) : tensor<4x16x64xf32>

// Gradients: the DP all-reduce of the LM head's; the final norm weight's is
// pending over dp and tp.
// CHECK: moe.set_state @grad.layers.1.shared.w_down
// CHECK: %[[GN:.*]] = spmd.all_reduce %dweight_{{[0-9]+}} over @mesh[dense] [dp, tp] (V -> R) : tensor<64xf32>
// CHECK-NEXT: moe.set_state @grad.final_norm, %[[GN]]
// CHECK: %[[G:.*]] = spmd.all_reduce %dweight over @mesh[dense] [dp] (V -> R) : tensor<64x128xf32>
// CHECK: moe.set_state @grad.lm_head, %[[G]]

// The gradient norm: the tp-split gradients' squares summed over tp only
// (they are whole over dp after the gradient all-reduce), the replicated
// ones once.
// CHECK: %[[N0:.*]] = moe.global_norm {{.*}}%[[G]] :
// CHECK: %[[S0:.*]] = arith.mulf %[[N0]], %[[N0]] : tensor<f32>
// CHECK: %[[T0:.*]] = spmd.all_reduce %[[S0]] over @mesh[dense] [tp] (V -> R) : tensor<f32>
// CHECK: %[[N1:.*]] = moe.global_norm {{.*}}%[[GN]] :
// CHECK: %[[S1:.*]] = arith.mulf %[[N1]], %[[N1]] : tensor<f32>
// CHECK: %[[SUM:.*]] = moe.add %[[T0]], %[[S1]] : tensor<f32>
// CHECK: math.sqrt %[[SUM]]
// CHECK: moe.adamw_step

// SGD-LABEL: func.func @moefold_train_step(
// SGD: %[[G:.*]] = spmd.all_reduce %dweight over @mesh[dense] [dp] (V -> R) : tensor<64x128xf32>
// SGD: moe.global_norm
// SGD: moe.clip_scale {{.*}} max_norm = 0.0
// SGD: %[[P:.*]] = moe.get_param @lm_head {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>}
// SGD: moe.sgd_step %[[P]], %[[G]],
