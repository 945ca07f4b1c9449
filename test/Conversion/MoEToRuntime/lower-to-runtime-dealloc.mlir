// RUN: moefold-opt %s --moe-lower-to-runtime | FileCheck %s

// Every temporary is freed right after the op that uses it last (through
// its memref.cast aliases); a buffer the function returns is not freed.

// CHECK-LABEL: func.func private @chain
// CHECK: %[[A:.*]] = memref.alloc() {{.*}} : memref<2x4xf32>
// CHECK: call @mfrt_mlir_linear_fwd_f32
// CHECK-NEXT: %[[B:.*]] = memref.alloc() {{.*}} : memref<2x4xf32>
// CHECK: call @mfrt_mlir_swiglu_fwd_f32
// CHECK-NEXT: %[[C:.*]] = memref.alloc() {{.*}} : memref<2x4xf32>
// CHECK: call @mfrt_mlir_linear_fwd_f32
// %b dies at its only use; %a lives on to the add.
// CHECK-NEXT: memref.dealloc %[[B]] : memref<2x4xf32>
// CHECK-NEXT: %[[D:.*]] = memref.alloc() {{.*}} : memref<2x4xf32>
// CHECK: call @mfrt_mlir_add_fwd_f32
// CHECK-DAG: memref.dealloc %[[A]] : memref<2x4xf32>
// CHECK-DAG: memref.dealloc %[[C]] : memref<2x4xf32>
// CHECK-NOT: memref.dealloc %[[D]]
// CHECK: return %[[D]] : memref<2x4xf32>
func.func private @chain(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %a = moe.linear %x, %w : tensor<2x4xf32>, tensor<4x4xf32>
  %b = moe.swiglu %a, %a : tensor<2x4xf32>
  %c = moe.linear %b, %w : tensor<2x4xf32>, tensor<4x4xf32>
  %d = moe.add %c, %a : tensor<2x4xf32>
  return %d : tensor<2x4xf32>
}

// A result nobody reads (the router's probs) is freed right after the call
// that wrote it.
// CHECK-LABEL: func.func private @unused_result
// CHECK: %[[SCORES:.*]] = memref.alloc() {{.*}} : memref<1x2x1xf32>
// CHECK: %[[INDICES:.*]] = memref.alloc() {{.*}} : memref<1x2x1xi32>
// CHECK: %[[PROBS:.*]] = memref.alloc() {{.*}} : memref<1x2x4xf32>
// CHECK: call @mfrt_mlir_router_fwd_f32
// CHECK-DAG: memref.dealloc %[[PROBS]]
// CHECK-DAG: memref.dealloc %[[SCORES]]
// CHECK-NOT: memref.dealloc %[[INDICES]]
// CHECK: return %[[INDICES]]
func.func private @unused_result(%x: tensor<1x2x8xf32>, %w: tensor<8x4xf32>) -> tensor<1x2x1xi32> {
  %s, %i, %p = moe.router %x, %w scoring = softmax top_k = 1 : tensor<1x2x8xf32>, tensor<8x4xf32>
  return %i : tensor<1x2x1xi32>
}
