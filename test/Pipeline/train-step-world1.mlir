// RUN: sed 's/^  spmd.mesh @mesh .*$/  spmd.mesh @mesh world = 1 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]/' %moefold_src/examples/tiny_moe.mlir \
// RUN:   | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition --spmd-verify-types \
// RUN:   | FileCheck %s

// The example's whole training step (forward, backward, optimizer) on one
// rank: partitioned and type checked, with no collective anywhere.

// CHECK-LABEL: func.func @moefold_train_step(
// CHECK-SAME: spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>
// CHECK-NOT: spmd.{{all_reduce|all_gather|reduce_scatter|all_to_all|convert|reinterpret}}
// CHECK: moe.global_norm
// CHECK-NOT: spmd.{{all_reduce|all_gather|reduce_scatter|all_to_all|convert|reinterpret}}
// CHECK: moe.adamw_step
// CHECK-NOT: spmd.{{all_reduce|all_gather|reduce_scatter|all_to_all|convert|reinterpret}}
// CHECK: return
