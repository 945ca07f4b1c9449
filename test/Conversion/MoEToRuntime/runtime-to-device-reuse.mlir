// RUN: moefold-opt %s --moe-runtime-to-device | FileCheck %s

// A 0-d load reuses an earlier load of the same buffer until something else
// uses the buffer (a call through a cast that may write it, a store).
func.func private @write(memref<*xf32>)

// CHECK-LABEL: func.func private @reuse
// CHECK: %[[A:.*]] = call @mfrt_mlir_load_scalar_f32
// CHECK-NOT: load_scalar
// CHECK: call @write
// CHECK: %[[B:.*]] = call @mfrt_mlir_load_scalar_f32
// CHECK: call @mfrt_mlir_store_scalar_f32
// CHECK: %[[C:.*]] = call @mfrt_mlir_load_scalar_f32
// CHECK: return %[[A]], %[[A]], %[[B]], %[[C]] : f32, f32, f32, f32
func.func private @reuse(%b: memref<f32>, %x: f32) -> (f32, f32, f32, f32) {
  %0 = memref.load %b[] : memref<f32>
  %1 = memref.load %b[] : memref<f32>
  %c = memref.cast %b : memref<f32> to memref<*xf32>
  call @write(%c) : (memref<*xf32>) -> ()
  %2 = memref.load %b[] : memref<f32>
  memref.store %x, %b[] : memref<f32>
  %3 = memref.load %b[] : memref<f32>
  return %0, %1, %2, %3 : f32, f32, f32, f32
}
