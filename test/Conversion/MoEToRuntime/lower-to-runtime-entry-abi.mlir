// RUN: moefold-opt %s --moe-lower-to-runtime | FileCheck %s

// Public functions are the program's entry points: memref arguments stay
// descriptors (llvm.emit_c_interface), 0-d float arguments become f64
// values stored into a fresh buffer, 0-d results are loaded and returned as
// f64 (floats) or i1 values, and the buffers they came from are freed. The
// moe.loss marker is dropped.

// CHECK-LABEL: func.func @step
// CHECK-SAME: (%[[TOK:.*]]: memref<2x3xi32>, %[[LR:.*]]: f64) -> (f64, i1)
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK: %[[LRBUF:.*]] = memref.alloc() {alignment = 64 : i64} : memref<f32>
// CHECK: %[[LR32:.*]] = arith.truncf %[[LR]] : f64 to f32
// CHECK: memref.store %[[LR32]], %[[LRBUF]][] : memref<f32>
// CHECK: call @mfrt_mlir_clip_scale_f32
// CHECK: %[[S:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK: %[[S64:.*]] = arith.extf %[[S]] : f32 to f64
// CHECK: %[[A:.*]] = memref.load %{{.*}}[] : memref<i1>
// CHECK-DAG: memref.dealloc %[[LRBUF]]
// CHECK: return %[[S64]], %[[A]] : f64, i1
func.func @step(%tokens: tensor<2x3xi32>, %lr: tensor<f32>) -> (tensor<f32> {moe.loss}, tensor<i1>) {
  %scale, %apply = moe.clip_scale %lr max_norm = 1.0
  return %scale, %apply : tensor<f32>, tensor<i1>
}

// f64 results are returned as they are.
// CHECK-LABEL: func.func @loss64
// CHECK-SAME: -> f64 attributes {llvm.emit_c_interface}
// CHECK: %[[L:.*]] = memref.load %{{.*}}[] : memref<f64>
// CHECK-NOT: arith.extf
// CHECK: return %[[L]] : f64
func.func @loss64(%logits: tensor<2x3x8xf64>, %targets: tensor<2x3xi32>) -> tensor<f64> {
  %ce = moe.cross_entropy %logits, %targets : tensor<2x3x8xf64>, tensor<2x3xi32>
  return %ce : tensor<f64>
}

// Private functions keep plain memref signatures.
// CHECK-LABEL: func.func private @helper
// CHECK-SAME: (%{{.*}}: memref<f32>) -> memref<f32>
// CHECK-NOT: llvm.emit_c_interface
func.func private @helper(%x: tensor<f32>) -> tensor<f32> {
  %y = moe.add %x, %x : tensor<f32>
  return %y : tensor<f32>
}
