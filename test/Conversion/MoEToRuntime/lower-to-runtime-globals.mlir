// RUN: moefold-opt %s --moe-lower-to-runtime | FileCheck %s

// Parameters and states become private, uninitialised, 64-byte aligned
// memref.globals; the mesh and the placements go away (world = 1).
// CHECK-NOT: spmd.mesh
// CHECK-NOT: moe.param
// CHECK-DAG: memref.global "private" @moefold.param.w : memref<4x4xf32> = uninitialized {alignment = 64 : i64}
// CHECK-DAG: memref.global "private" @moefold.param.n : memref<4xf32> = uninitialized {alignment = 64 : i64}
// CHECK-DAG: memref.global "private" @moefold.state.grad.w : memref<4x4xf32> = uninitialized {alignment = 64 : i64}
// CHECK-DAG: memref.global "private" @moefold.state.adam_m.w : memref<4x4xf32> = uninitialized {alignment = 64 : i64}
spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]
moe.param @w : tensor<4x4xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
moe.param @n : tensor<4xf32> family = norm
moe.state @grad.w : tensor<4x4xf32>
moe.state @adam_m.w : tensor<4x4xf32>

// Reads are the globals themselves (no copy); writes copy into them.
// CHECK-LABEL: func.func private @get_and_set
// CHECK: %[[W:.*]] = memref.get_global @moefold.param.w : memref<4x4xf32>
// CHECK: %[[M:.*]] = memref.get_global @moefold.state.adam_m.w : memref<4x4xf32>
// CHECK: call @mfrt_mlir_add_fwd_f32
// CHECK: %[[G:.*]] = memref.get_global @moefold.state.grad.w : memref<4x4xf32>
// CHECK: memref.copy %[[SUM:.*]], %[[G]] : memref<4x4xf32> to memref<4x4xf32>
// CHECK: %[[W2:.*]] = memref.get_global @moefold.param.w : memref<4x4xf32>
// CHECK: memref.copy %[[SUM]], %[[W2]] : memref<4x4xf32> to memref<4x4xf32>
// CHECK-NOT: memref.dealloc %[[W]]
// CHECK-NOT: memref.dealloc %[[M]]
// CHECK: memref.dealloc %[[SUM]]
func.func private @get_and_set() {
  %w = moe.get_param @w : tensor<4x4xf32>
  %m = moe.get_state @adam_m.w : tensor<4x4xf32>
  %s = moe.add %w, %m : tensor<4x4xf32>
  moe.set_state @grad.w, %s : tensor<4x4xf32>
  moe.set_param @w, %s : tensor<4x4xf32>
  return
}

// A read whose value is still used after a write of the same parameter is
// copied out of the global first (value semantics of moe.get_param).
// CHECK-LABEL: func.func private @read_after_write
// CHECK: %[[GLOBAL:.*]] = memref.get_global @moefold.param.n : memref<4xf32>
// CHECK: %[[COPY:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK: memref.copy %[[GLOBAL]], %[[COPY]] : memref<4xf32> to memref<4xf32>
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<4xf32> to memref<4xf32>
// CHECK: %[[C:.*]] = memref.cast %[[COPY]] : memref<4xf32> to memref<*xf32>
// CHECK: call @mfrt_mlir_add_fwd_f32(%[[C]], %[[C2:.*]],
// CHECK: memref.dealloc %[[COPY]]
func.func private @read_after_write(%new: tensor<4xf32>) -> tensor<4xf32> {
  %old = moe.get_param @n : tensor<4xf32>
  moe.set_param @n, %new : tensor<4xf32>
  %s = moe.add %old, %old : tensor<4xf32>
  return %s : tensor<4xf32>
}
