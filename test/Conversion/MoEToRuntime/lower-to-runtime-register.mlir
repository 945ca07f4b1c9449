// RUN: moefold-opt %s --moe-lower-to-runtime | FileCheck %s

// moefold_register() hands the runtime every buffer (parameters in
// declaration order, then states) with name, kind (0 param, 1 state),
// family, init kind and value, parameter id (64-bit FNV-1a of the name),
// role and owning parameter; then the batch geometry of the entry functions
// and the module's metadata strings.

module attributes {moefold.metadata = {mesh = "world=1", optimizer = "adamw"}} {
  moe.param @embed : tensor<16x4xf32> family = embedding init = normal(0.02)
  moe.param @norm : tensor<4xf32> family = norm
  moe.param @head : tensor<4x16xf32> family = dense init = uniform(0.5)
  moe.state @grad.embed : tensor<16x4xf32>
  moe.state @ema : tensor<4xf32> init = ones

  func.func @moefold_eval(%tokens: tensor<2x3xi32>, %targets: tensor<2x3xi32>) -> (tensor<f32> {moe.loss}) {
    %e = moe.get_param @embed : tensor<16x4xf32>
    %h = moe.embedding %e, %tokens : tensor<16x4xf32>, tensor<2x3xi32>
    %w = moe.get_param @norm : tensor<4xf32>
    %x = moe.rms_norm %h, %w : tensor<2x3x4xf32>, tensor<4xf32>
    %hd = moe.get_param @head : tensor<4x16xf32>
    %logits = moe.linear %x, %hd : tensor<2x3x4xf32>, tensor<4x16xf32>
    %ce = moe.cross_entropy %logits, %targets : tensor<2x3x16xf32>, tensor<2x3xi32>
    return %ce : tensor<f32>
  }
}

// Names and roles are NUL-terminated private string constants ($-names:
// they are used past the CHECK-LABEL below).
// CHECK-DAG: llvm.mlir.global internal constant @[[$EMBED:__moefold_str_[0-9]+]]("embed\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[$PARAM:__moefold_str_[0-9]+]]("param\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[$NONE:__moefold_str_[0-9]+]]("\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[$GRADEMBED:__moefold_str_[0-9]+]]("grad.embed\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[$GRAD:__moefold_str_[0-9]+]]("grad\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[$EMA:__moefold_str_[0-9]+]]("ema\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[$STATE:__moefold_str_[0-9]+]]("state\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[$MESH:__moefold_str_[0-9]+]]("mesh\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[$WORLD1:__moefold_str_[0-9]+]]("world=1\00")

// CHECK-LABEL: func.func @moefold_register()
// embed: param (0), family embedding (0), normal (3) with 0.02, id FNV-1a("embed").
// CHECK: %[[G0:.*]] = memref.get_global @moefold.param.embed : memref<16x4xf32>
// CHECK: %[[U0:.*]] = memref.cast %[[G0]] : memref<16x4xf32> to memref<*xf32>
// CHECK: %[[N0:.*]] = llvm.mlir.addressof @[[$EMBED]] : !llvm.ptr
// CHECK: %[[K0:.*]] = arith.constant 0 : i32
// CHECK: %[[F0:.*]] = arith.constant 0 : i32
// CHECK: %[[I0:.*]] = arith.constant 3 : i32
// CHECK: %[[V0:.*]] = arith.constant 2.000000e-02 : f64
// CHECK: %[[ID0:.*]] = arith.constant 796654122392472174 : i64
// CHECK: %[[R0:.*]] = llvm.mlir.addressof @[[$PARAM]] : !llvm.ptr
// CHECK: %[[O0:.*]] = llvm.mlir.addressof @[[$NONE]] : !llvm.ptr
// CHECK: call @mfrt_register_buffer_f32(%[[N0]], %[[K0]], %[[F0]], %[[I0]], %[[V0]], %[[ID0]], %[[R0]], %[[O0]], %[[U0]]) : (!llvm.ptr, i32, i32, i32, f64, i64, !llvm.ptr, !llvm.ptr, memref<*xf32>) -> ()
// norm: family norm (2), default init ones (1).
// CHECK: memref.get_global @moefold.param.norm
// CHECK: arith.constant 2 : i32
// CHECK-NEXT: arith.constant 1 : i32
// CHECK: call @mfrt_register_buffer_f32
// head: family dense (1), uniform (5) with 0.5.
// CHECK: memref.get_global @moefold.param.head
// CHECK: arith.constant 1 : i32
// CHECK-NEXT: arith.constant 5 : i32
// CHECK-NEXT: arith.constant 5.000000e-01 : f64
// CHECK: call @mfrt_register_buffer_f32
// grad.embed: a state (1) without family (-1), zeros (0), role grad of embed.
// CHECK: memref.get_global @moefold.state.grad.embed
// CHECK: llvm.mlir.addressof @[[$GRADEMBED]]
// CHECK-NEXT: arith.constant 1 : i32
// CHECK-NEXT: arith.constant -1 : i32
// CHECK-NEXT: arith.constant 0 : i32
// CHECK: llvm.mlir.addressof @[[$GRAD]]
// CHECK-NEXT: llvm.mlir.addressof @[[$EMBED]]
// CHECK: call @mfrt_register_buffer_f32
// ema: a state with init ones and no owning parameter.
// CHECK: memref.get_global @moefold.state.ema
// CHECK: llvm.mlir.addressof @[[$EMA]]
// CHECK-NEXT: arith.constant 1 : i32
// CHECK-NEXT: arith.constant -1 : i32
// CHECK-NEXT: arith.constant 1 : i32
// CHECK: llvm.mlir.addressof @[[$STATE]]
// CHECK-NEXT: llvm.mlir.addressof @[[$NONE]]
// CHECK: call @mfrt_register_buffer_f32
// Geometry: batch 2, sequence 3, vocabulary 16, f32 (0).
// CHECK: %[[B:.*]] = arith.constant 2 : i64
// CHECK: %[[S:.*]] = arith.constant 3 : i64
// CHECK: %[[V:.*]] = arith.constant 16 : i64
// CHECK: %[[D:.*]] = arith.constant 0 : i32
// CHECK: call @mfrt_register_model(%[[B]], %[[S]], %[[V]], %[[D]]) : (i64, i64, i64, i32) -> ()
// CHECK: %[[MK:.*]] = llvm.mlir.addressof @[[$MESH]]
// CHECK: %[[MV:.*]] = llvm.mlir.addressof @[[$WORLD1]]
// CHECK: call @mfrt_register_metadata(%[[MK]], %[[MV]]) : (!llvm.ptr, !llvm.ptr) -> ()
// CHECK: call @mfrt_register_metadata
// CHECK: return
