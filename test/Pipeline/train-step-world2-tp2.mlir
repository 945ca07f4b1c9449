// RUN: sed 's/^  spmd.mesh @mesh .*$/  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]/' %moefold_src/examples/tiny_moe.mlir \
// RUN:   | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition --spmd-verify-types \
// RUN:   | FileCheck %s

// The example's training step on world 2 = tp 2 (no data parallelism):
// every collective is over tp, and the type checker accepts the whole step.

// CHECK-LABEL: func.func @moefold_train_step(
// CHECK-SAME: tensor<8x16xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}
// CHECK-NOT: [dp

// Megatron: the row-parallel output of layer 1's attention, the pending sum
// the matmul makes over tp, is all-reduced before the residual add.
// CHECK: moe.attention
// CHECK: %[[ATT:.*]] = moe.attention
// CHECK: %[[ROW:.*]] = moe.linear %[[ATT]]
// CHECK: %[[RED:.*]] = spmd.all_reduce %[[ROW]] over @mesh[dense] [tp] (V -> R) : tensor<8x16x64xf32>
// CHECK: moe.add %{{.*}}, %[[RED]]

// A norm weight's gradient is a pending sum over tp.
// CHECK: moe.set_state @grad.layers.1.shared.w_down
// CHECK: %[[GN:.*]] = spmd.all_reduce %dweight_{{[0-9]+}} over @mesh[dense] [tp] (V -> R) : tensor<64xf32>
// CHECK-NEXT: moe.set_state @grad.final_norm, %[[GN]]

// The gradient norm: the replicated gradients once, the tp-split ones' squares
// summed over tp only.
// CHECK: %[[N0:.*]] = moe.global_norm
// CHECK: %[[S0:.*]] = arith.mulf %[[N0]], %[[N0]] : tensor<f32>
// CHECK: %[[N1:.*]] = moe.global_norm
// CHECK: %[[S1:.*]] = arith.mulf %[[N1]], %[[N1]] : tensor<f32>
// CHECK: %[[T1:.*]] = spmd.all_reduce %[[S1]] over @mesh[dense] [tp] (V -> R) : tensor<f32>
// CHECK: %[[SUM:.*]] = moe.add %[[S0]], %[[T1]] : tensor<f32>
// CHECK: math.sqrt %[[SUM]]
// CHECK: moe.adamw_step
