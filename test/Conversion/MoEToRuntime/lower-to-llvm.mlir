// RUN: moefold-opt %s --moe-lower-to-llvm | FileCheck %s

// The whole lowering to the LLVM dialect (what moefold-compile translates
// to LLVM IR): unranked memrefs become (rank, descriptor) argument pairs,
// allocations malloc/free, and every public function gets a C wrapper
// _mlir_ciface_<name> taking descriptor pointers.

moe.param @w : tensor<4x4xf32> family = dense

func.func @moefold_eval(%tokens: tensor<2x4xi32>, %targets: tensor<2x4xi32>) -> (tensor<f32> {moe.loss}) {
  %w = moe.get_param @w : tensor<4x4xf32>
  %logits = moe.embedding %w, %tokens : tensor<4x4xf32>, tensor<2x4xi32>
  %loss = moe.cross_entropy %logits, %targets : tensor<2x4x4xf32>, tensor<2x4xi32>
  return %loss : tensor<f32>
}

// CHECK-NOT: memref.
// CHECK-NOT: func.func
// CHECK-DAG: llvm.mlir.global private @moefold.param.w() {addr_space = 0 : i32, alignment = 64 : i64} : !llvm.array<4 x array<4 x f32>>
// CHECK-DAG: llvm.func @malloc(i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @free(!llvm.ptr)
// CHECK-LABEL: llvm.func @moefold_eval
// CHECK: llvm.call @mfrt_mlir_embedding_fwd_f32({{.*}}) : (i64, !llvm.ptr, i64, !llvm.ptr, i64, !llvm.ptr) -> ()
// CHECK: llvm.call @mfrt_mlir_cross_entropy_fwd_f32({{.*}}) : (i64, !llvm.ptr, i64, !llvm.ptr, i64, i64, !llvm.ptr) -> ()
// CHECK: llvm.call @free
// CHECK: llvm.fpext %{{.*}} : f32 to f64
// CHECK-LABEL: llvm.func @_mlir_ciface_moefold_eval(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) -> f64
// CHECK-LABEL: llvm.func @moefold_register()
// CHECK: llvm.call @mfrt_register_buffer_f32({{.*}}) : (!llvm.ptr, i32, i32, i32, f64, i64, !llvm.ptr, !llvm.ptr, i64, !llvm.ptr) -> ()
// CHECK: llvm.call @mfrt_register_model
// CHECK-DAG: llvm.func @mfrt_mlir_embedding_fwd_f32(i64, !llvm.ptr, i64, !llvm.ptr, i64, !llvm.ptr) attributes {sym_visibility = "private"}
