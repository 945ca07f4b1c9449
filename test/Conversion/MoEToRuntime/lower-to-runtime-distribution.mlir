// RUN: moefold-opt %s --moe-lower-to-runtime | FileCheck %s

// A per-rank program (as moe-partition leaves it) tells the runtime, through
// moefold_register, which slice of each global tensor every rank holds and
// which rows of the global batch it reads; the tables are computed here by
// the placement algebra. world 4 = dp 2 x tp 2, rank r = 2 * dp + tp.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// Split on dim 1 over tp: rank r's slice starts at column 2 * (r mod 2).
moe.param @w : tensor<8x2xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> {global_type = tensor<8x4xf32>}
// Whole on every rank: no layout.
moe.param @n : tensor<8xf32> family = norm {global_type = tensor<8xf32>}
// A state follows its parameter's placement.
moe.state @grad.w : tensor<8x2xf32> {global_placement = #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>, global_type = tensor<8x4xf32>}

// CHECK-DAG: llvm.mlir.global internal constant @[[$SHAPE:__moefold_i64_[0-9]+]](dense<[8, 4]> : tensor<2xi64>)
// CHECK-DAG: llvm.mlir.global internal constant @[[$OFFSETS:__moefold_i64_[0-9]+]](dense<[0, 0, 0, 2, 0, 0, 0, 2]> : tensor<8xi64>)
// CHECK-DAG: llvm.mlir.global internal constant @[[$ROWS:__moefold_i64_[0-9]+]](dense<[0, 0, 2, 2]> : tensor<4xi64>)
// CHECK-DAG: llvm.mlir.global internal constant @[[$W:__moefold_str_[0-9]+]]("w\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[$G:__moefold_str_[0-9]+]]("grad.w\00")

// The batch: rows 2 * dp of a global batch of 4.
func.func @moefold_eval(%tokens: tensor<2x16xi32> {moe.global_placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, moe.global_type = tensor<4x16xi32>},
                        %targets: tensor<2x16xi32> {moe.global_placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, moe.global_type = tensor<4x16xi32>})
    -> tensor<f32> {
  %table = moe.get_param @w : tensor<8x2xf32>
  %padded = spmd.convert %table over @mesh[dense] [tp] (V -> P) dim 1 : tensor<8x2xf32> -> tensor<8x4xf32>
  %x = moe.embedding %padded, %tokens : tensor<8x4xf32>, tensor<2x16xi32>
  %r = spmd.all_reduce %x over @mesh[dense] [tp] (P -> R) : tensor<2x16x4xf32>
  %ce = moe.cross_entropy %r, %targets : tensor<2x16x4xf32>, tensor<2x16xi32>
  %loss = spmd.all_reduce %ce over @mesh[dense] [dp] (V -> R) : tensor<f32>
  return %loss : tensor<f32>
}

// CHECK-LABEL: func.func @moefold_register()
// CHECK: call @mfrt_register_world
// CHECK: call @mfrt_register_buffer_f32
// CHECK: call @mfrt_register_buffer_f32
// CHECK: call @mfrt_register_buffer_f32
// CHECK: %[[NAME:.*]] = llvm.mlir.addressof @[[$W]]
// CHECK: %[[RANK:.*]] = arith.constant 2 : i64
// CHECK: %[[SHAPE:.*]] = llvm.mlir.addressof @[[$SHAPE]]
// CHECK: %[[OFF:.*]] = llvm.mlir.addressof @[[$OFFSETS]]
// CHECK: call @mfrt_register_buffer_layout(%[[NAME]], %[[RANK]], %[[SHAPE]], %[[OFF]]) : (!llvm.ptr, i64, !llvm.ptr, !llvm.ptr) -> ()
// CHECK: llvm.mlir.addressof @[[$G]]
// CHECK: llvm.mlir.addressof @[[$SHAPE]]
// CHECK: llvm.mlir.addressof @[[$OFFSETS]]
// CHECK: call @mfrt_register_buffer_layout
// CHECK-NOT: call @mfrt_register_buffer_layout
// CHECK: call @mfrt_register_model
// CHECK: %[[GB:.*]] = arith.constant 4 : i64
// CHECK: %[[ROWS:.*]] = llvm.mlir.addressof @[[$ROWS]]
// CHECK: call @mfrt_register_batch_layout(%[[GB]], %[[ROWS]]) : (i64, !llvm.ptr) -> ()
// CHECK: call @mfrt_register_group_table
// CHECK: call @mfrt_register_group_table
