// RUN: moefold-opt %s --moe-lower-to-runtime --moe-runtime-to-device | FileCheck %s
// RUN: moefold-opt %s --moe-lower-to-runtime --moe-runtime-to-device | FileCheck %s --check-prefix=NOHOST
// RUN: moefold-opt %s --moe-lower-to-runtime --moe-runtime-to-device | FileCheck %s --check-prefix=TABLE
// RUN: moefold-opt %s --moe-lower-to-llvm=device=true | FileCheck %s --check-prefix=LLVM
// RUN: moefold-opt %s --moe-lower-to-llvm | FileCheck %s --check-prefix=HOSTLLVM

// After moe-runtime-to-device, no function but moefold_register touches a
// buffer itself: globals become their device twins, 0-d loads and stores
// single-element copies, memref.copy a device-to-device copy.

moe.param @w : tensor<4x4xf32> family = dense
moe.param @n : tensor<4xf32> family = norm
moe.state @grad.w : tensor<4x4xf32>

// CHECK-LABEL: func.func private @get_and_set
// CHECK: %[[G:.*]] = memref.get_global @moefold.param.w : memref<4x4xf32>
// CHECK: %[[GU:.*]] = memref.cast %[[G]] : memref<4x4xf32> to memref<*xf32>
// CHECK: %[[T:.*]] = call @mfrt_mlir_device_twin_f32(%[[GU]]) : (memref<*xf32>) -> memref<*xf32>
// CHECK: %[[TW:.*]] = memref.cast %[[T]] : memref<*xf32> to memref<4x4xf32>
// CHECK: %[[S:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
// CHECK: %[[A:.*]] = memref.cast %[[TW]] : memref<4x4xf32> to memref<*xf32>
// CHECK: %[[A2:.*]] = memref.cast %[[TW]] : memref<4x4xf32> to memref<*xf32>
// CHECK: call @mfrt_mlir_add_fwd_f32(%[[A]], %[[A2]], %{{.*}})
// CHECK: %[[GS:.*]] = memref.get_global @moefold.state.grad.w : memref<4x4xf32>
// CHECK: call @mfrt_mlir_device_twin_f32
// CHECK: %[[GTW:.*]] = memref.cast %{{.*}} : memref<*xf32> to memref<4x4xf32>
// CHECK: %[[SRC:.*]] = memref.cast %[[S]] : memref<4x4xf32> to memref<*xf32>
// CHECK: %[[DST:.*]] = memref.cast %[[GTW]] : memref<4x4xf32> to memref<*xf32>
// CHECK: call @mfrt_mlir_copy_buffer_f32(%[[SRC]], %[[DST]]) : (memref<*xf32>, memref<*xf32>) -> ()
// CHECK: memref.dealloc %[[S]]
func.func private @get_and_set() {
  %w = moe.get_param @w : tensor<4x4xf32>
  %s = moe.add %w, %w : tensor<4x4xf32>
  moe.set_state @grad.w, %s : tensor<4x4xf32>
  return
}

// The copy on read after write copies the twin.
// CHECK-LABEL: func.func private @read_after_write
// CHECK: call @mfrt_mlir_device_twin_f32
// CHECK: call @mfrt_mlir_copy_buffer_f32
// CHECK: call @mfrt_mlir_device_twin_f32
// CHECK: call @mfrt_mlir_copy_buffer_f32
func.func private @read_after_write(%new: tensor<4xf32>) -> tensor<4xf32> {
  %old = moe.get_param @n : tensor<4xf32>
  moe.set_param @n, %new : tensor<4xf32>
  %s = moe.add %old, %old : tensor<4xf32>
  return %s : tensor<4xf32>
}

// Scalars: the entry ABI's argument store and result loads, and the
// optimizer's scalar operands, are single-element copies; i1 travels as i32.
// CHECK-LABEL: func.func @step
// CHECK: %[[LR:.*]] = memref.alloc() {alignment = 64 : i64} : memref<f32>
// CHECK: %[[LR32:.*]] = arith.truncf %{{.*}} : f64 to f32
// CHECK: %[[LRU:.*]] = memref.cast %[[LR]] : memref<f32> to memref<*xf32>
// CHECK: call @mfrt_mlir_store_scalar_f32(%[[LR32]], %[[LRU]]) : (f32, memref<*xf32>) -> ()
// CHECK: %[[N:.*]] = call @mfrt_mlir_load_scalar_f32(%{{.*}}) : (memref<*xf32>) -> f32
// CHECK: arith.extf %[[N]] : f32 to f64
// CHECK: call @mfrt_mlir_clip_scale_f32
// CHECK: call @mfrt_mlir_load_scalar_f32
// CHECK: %[[F:.*]] = call @mfrt_mlir_load_scalar_i1(%{{.*}}) : (memref<*xi1>) -> i32
// CHECK: %[[B:.*]] = arith.trunci %[[F]] : i32 to i1
// CHECK: return %{{.*}}, %[[B]] : f64, i1
func.func @step(%tokens: tensor<2x3xi32>, %lr: tensor<f32>) -> (tensor<f32> {moe.loss}, tensor<i1>) {
  %scale, %apply = moe.clip_scale %lr max_norm = 1.0
  return %scale, %apply : tensor<f32>, tensor<i1>
}

// moefold_register keeps handing the runtime the host globals.
// CHECK-LABEL: func.func @moefold_register
// CHECK-NOT: mfrt_mlir_device_twin
// CHECK: memref.get_global @moefold.param.w
// CHECK-NOT: mfrt_mlir_device_twin
// CHECK: call @mfrt_register_buffer_f32
// CHECK: func.func private @mfrt_mlir_device_twin_f32(memref<*xf32>) -> memref<*xf32>
// CHECK: func.func private @mfrt_mlir_copy_buffer_f32(memref<*xf32>, memref<*xf32>)
// CHECK: func.func private @mfrt_mlir_store_scalar_f32(f32, memref<*xf32>)
// CHECK: func.func private @mfrt_mlir_load_scalar_f32(memref<*xf32>) -> f32
// CHECK: func.func private @mfrt_mlir_load_scalar_i1(memref<*xi1>) -> i32

// Outside moefold_register, nothing reads or writes buffer memory directly.
// NOHOST-NOT: memref.load
// NOHOST-NOT: memref.store
// NOHOST-NOT: memref.copy
// NOHOST: func.func @moefold_register
// NOHOST-NOT: memref.load
// NOHOST-NOT: memref.store
// NOHOST-NOT: memref.copy

// The device pipeline allocates through the generic functions the cuda MLIR
// ABI implements; the host pipeline through malloc/free.
// LLVM-DAG: llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
// LLVM-DAG: llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
// LLVM-DAG: llvm.func @mfrt_mlir_device_twin_f32(i64, !llvm.ptr) -> !llvm.struct<(i64, ptr)>
// HOSTLLVM-NOT: _mlir_memref_to_llvm

// A 1-d integer table (the vocabulary offsets of a per-rank program): one
// element copy per entry, at its index.
// TABLE-LABEL: func.func private @table
// TABLE: %[[TAB:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2xi32>
// TABLE: %[[I0:.*]] = arith.constant 0 : index
// TABLE: %[[V0:.*]] = arith.constant 0 : i32
// TABLE: %[[TU0:.*]] = memref.cast %[[TAB]] : memref<2xi32> to memref<*xi32>
// TABLE: %[[J0:.*]] = arith.index_cast %[[I0]] : index to i64
// TABLE: call @mfrt_mlir_store_element_i32(%[[V0]], %[[J0]], %[[TU0]]) : (i32, i64, memref<*xi32>) -> ()
// TABLE: %[[I1:.*]] = arith.constant 1 : index
// TABLE: %[[V1:.*]] = arith.constant 128 : i32
// TABLE: %[[J1:.*]] = arith.index_cast %[[I1]] : index to i64
// TABLE: call @mfrt_mlir_store_element_i32(%[[V1]], %[[J1]], %{{.*}})
func.func private @table() -> tensor<2xi32> {
  %t = arith.constant dense<[0, 128]> : tensor<2xi32>
  return %t : tensor<2xi32>
}

// Each scalar the optimizer steps share is read from the device once: a 0-d
// load reuses an earlier load of the same buffer while nothing else touched
// it (here scale, lr and apply for two SGD steps: three reads, not six).
// TABLE-LABEL: func.func private @two_steps
// TABLE: call @mfrt_mlir_clip_scale_f32
// TABLE-COUNT-3: call @mfrt_mlir_load_scalar_
// TABLE-NOT: call @mfrt_mlir_load_scalar_
// TABLE: call @mfrt_mlir_sgd_step_f32
// TABLE-NOT: call @mfrt_mlir_load_scalar_
// TABLE: call @mfrt_mlir_sgd_step_f32
// TABLE: return
func.func private @two_steps(%p: tensor<4xf32>, %q: tensor<4xf32>, %g: tensor<4xf32>, %norm: tensor<f32>, %lr: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %scale, %apply = moe.clip_scale %norm max_norm = 1.0
  %p2 = moe.sgd_step %p, %g, %scale, %lr, %apply weight_decay = 0.1 : tensor<4xf32>
  %q2 = moe.sgd_step %q, %g, %scale, %lr, %apply weight_decay = 0.1 : tensor<4xf32>
  return %p2, %q2 : tensor<4xf32>, tensor<4xf32>
}

