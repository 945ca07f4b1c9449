// RUN: moefold-opt %s --moe-lower-to-runtime | FileCheck %s
// RUN: moefold-opt %s --moe-lower-to-runtime | FileCheck %s --check-prefix=REG

// Every spmd op of a per-rank program becomes a call of the comm shims
// (runtime/mlir_abi/CommShims.cpp) naming its group table by id, or nothing
// where no data moves. Ids follow the first use: dense.tp = 0, dense.dp = 1,
// dense.dp+tp = 2, expert.ep = 3.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]

// CHECK-LABEL: func.func private @collectives(
// CHECK-SAME: %[[X:[^:]+]]: memref<4x8xf32>, %[[I:[^:]+]]: memref<4x8xi32>
func.func private @collectives(%x: tensor<4x8xf32>, %i: tensor<4x8xi32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x16xf32>,
        tensor<8x8xi32>, tensor<2x8xf32>, tensor<4x8xf32>) {
  // Sum (0), average (1) and max (2) reductions; operand, result, op.
  // CHECK: %[[AR:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x8xf32>
  // CHECK: %[[G0:.*]] = arith.constant 0 : i64
  // CHECK: %[[IN0:.*]] = memref.cast %[[X]] : memref<4x8xf32> to memref<*xf32>
  // CHECK: %[[OUT0:.*]] = memref.cast %[[AR]] : memref<4x8xf32> to memref<*xf32>
  // CHECK: %[[SUM:.*]] = arith.constant 0 : i32
  // CHECK: call @mfrt_mlir_all_reduce_f32(%[[G0]], %[[IN0]], %[[OUT0]], %[[SUM]]) : (i64, memref<*xf32>, memref<*xf32>, i32) -> ()
  %r = spmd.all_reduce %x over @mesh[dense] [tp] (P -> R) : tensor<4x8xf32>
  // CHECK: %[[G1:.*]] = arith.constant 1 : i64
  // CHECK: %[[AVG:.*]] = arith.constant 1 : i32
  // CHECK: call @mfrt_mlir_all_reduce_f32(%[[G1]], {{.*}}, %[[AVG]])
  %a = spmd.all_reduce %x over @mesh[dense] [dp] (P -> R) reduction = avg : tensor<4x8xf32>
  // Two axes: one table over both (dense.dp+tp).
  // CHECK: %[[G2:.*]] = arith.constant 2 : i64
  // CHECK: %[[MAX:.*]] = arith.constant 2 : i32
  // CHECK: call @mfrt_mlir_all_reduce_f32(%[[G2]], {{.*}}, %[[MAX]])
  %m = spmd.all_reduce %x over @mesh[dense] [dp, tp] (P -> I) reduction = max : tensor<4x8xf32>
  // A gather along dim 1; index data too (i32).
  // CHECK: %[[AG:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x16xf32>
  // CHECK: call @mfrt_mlir_all_gather_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[D1:.*]]) : (i64, memref<*xf32>, memref<*xf32>, i64) -> ()
  %g = spmd.all_gather %x over @mesh[dense] [tp] (V -> R) dim 1 : tensor<4x8xf32> -> tensor<4x16xf32>
  // CHECK: call @mfrt_mlir_all_gather_i32({{.*}}) : (i64, memref<*xi32>, memref<*xi32>, i64) -> ()
  %gi = spmd.all_gather %i over @mesh[dense] [dp] (V -> R) dim 0 : tensor<4x8xi32> -> tensor<8x8xi32>
  // CHECK: memref.alloc() {alignment = 64 : i64} : memref<2x8xf32>
  // CHECK: call @mfrt_mlir_reduce_scatter_f32({{.*}}) : (i64, memref<*xf32>, memref<*xf32>, i64, i32) -> ()
  %s = spmd.reduce_scatter %x over @mesh[dense] [tp] (P -> V) dim 0 : tensor<4x8xf32> -> tensor<2x8xf32>
  // The data stays: the reinterpreted value is the operand itself.
  // CHECK-NOT: call
  // CHECK: return %[[AR]], {{.*}}, %[[X]]
  %t = spmd.reinterpret %x over @mesh[dense] [tp] (V -> P) : tensor<4x8xf32>
  return %r, %a, %m, %g, %gi, %s, %t : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x16xf32>, tensor<8x8xi32>, tensor<2x8xf32>, tensor<4x8xf32>
}

// Ragged rows: the receive buffer is sized by the sum of the receive counts.
// CHECK-LABEL: func.func private @ragged(
func.func private @ragged(%x: tensor<6x8xf32>, %send: tensor<2xi64>, %recv: tensor<2xi64>) -> tensor<?x8xf32> {
  // CHECK: %[[ROWS:.*]] = call @mfrt_mlir_count_rows_i64(%{{.*}}) : (memref<*xi64>) -> i64
  // CHECK: %[[N:.*]] = arith.index_cast %[[ROWS]] : i64 to index
  // CHECK: %[[OUT:.*]] = memref.alloc(%[[N]]) {alignment = 64 : i64} : memref<?x8xf32>
  // CHECK: %[[G3:.*]] = arith.constant 3 : i64
  // CHECK: call @mfrt_mlir_all_to_all_f32_i64(%[[G3]], {{.*}}) : (i64, memref<*xf32>, memref<*xi64>, memref<*xf32>, memref<*xi64>) -> ()
  %y = spmd.all_to_all %x, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<6x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// Conversions without communication: a slice, a zero-pad, the first rank's
// copy, or nothing.
// CHECK-LABEL: func.func private @conversions(
// CHECK-SAME: %[[X:[^:]+]]: memref<4x8xf32>
func.func private @conversions(%x: tensor<4x8xf32>)
    -> (tensor<4x4xf32>, tensor<2x8xf32>, tensor<8x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  // CHECK: memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
  // CHECK: call @mfrt_mlir_local_slice_f32({{.*}}) : (i64, memref<*xf32>, memref<*xf32>, i64) -> ()
  %rv = spmd.convert %x over @mesh[dense] [tp] (R -> V) dim 1 : tensor<4x8xf32> -> tensor<4x4xf32>
  // CHECK: memref.alloc() {alignment = 64 : i64} : memref<2x8xf32>
  // CHECK: call @mfrt_mlir_local_slice_f32
  %iv = spmd.convert %x over @mesh[dense] [dp] (I -> V) dim 0 : tensor<4x8xf32> -> tensor<2x8xf32>
  // CHECK: memref.alloc() {alignment = 64 : i64} : memref<8x8xf32>
  // CHECK: call @mfrt_mlir_zero_pad_f32({{.*}}) : (i64, memref<*xf32>, memref<*xf32>, i64) -> ()
  %vp = spmd.convert %x over @mesh[dense] [tp] (V -> P) dim 0 : tensor<4x8xf32> -> tensor<8x8xf32>
  // CHECK: call @mfrt_mlir_keep_first_f32({{.*}}) : (i64, memref<*xf32>, memref<*xf32>) -> ()
  %rp = spmd.convert %x over @mesh[dense] [tp] (R -> P) : tensor<4x8xf32> -> tensor<4x8xf32>
  // CHECK: call @mfrt_mlir_keep_first_f32
  %ip = spmd.convert %x over @mesh[dense] [tp] (I -> P) : tensor<4x8xf32> -> tensor<4x8xf32>
  // R <-> I moves no data.
  // CHECK-NOT: call
  // CHECK: return {{.*}}, %[[X]], %[[X]]
  %ri = spmd.convert %x over @mesh[dense] [tp] (R -> I) : tensor<4x8xf32> -> tensor<4x8xf32>
  %ir = spmd.convert %x over @mesh[dense] [tp] (I -> R) : tensor<4x8xf32> -> tensor<4x8xf32>
  return %rv, %iv, %vp, %rp, %ip, %ri, %ir : tensor<4x4xf32>, tensor<2x8xf32>, tensor<8x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// The scalars moe-partition emits: the loss share and the norm's squares.
// CHECK-LABEL: func.func private @scalars(
// CHECK-SAME: %[[L:[^:]+]]: memref<f32>
func.func private @scalars(%loss: tensor<f32>) -> tensor<f32> {
  // CHECK: %[[C:.*]] = memref.alloc() {alignment = 64 : i64} : memref<f32>
  // CHECK: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
  // CHECK: memref.store %[[HALF]], %[[C]][] : memref<f32>
  %cst = arith.constant dense<5.000000e-01> : tensor<f32>
  // CHECK: %[[A:.*]] = memref.load %[[L]][] : memref<f32>
  // CHECK: %[[B:.*]] = memref.load %[[C]][] : memref<f32>
  // CHECK: %[[M:.*]] = arith.mulf %[[A]], %[[B]] : f32
  // CHECK: %[[P:.*]] = memref.alloc() {alignment = 64 : i64} : memref<f32>
  // CHECK: memref.store %[[M]], %[[P]][] : memref<f32>
  %p = arith.mulf %loss, %cst : tensor<f32>
  // CHECK: %[[V:.*]] = memref.load %[[P]][] : memref<f32>
  // CHECK: math.sqrt %[[V]] : f32
  %s = math.sqrt %p : tensor<f32>
  return %s : tensor<f32>
}

// moefold_register hands the runtime the world and every group table, in id
// order: groups over the listed axes (first listed slowest), sorted by first
// rank; rank r = dp * 2 + tp, and in the expert view r = edp * 2 + ep. The
// tables are constants of the program (identical tables are shared).
// REG-DAG: llvm.mlir.global internal constant @[[$TP:__moefold_i64_[0-9]+]](dense<[0, 1, 2, 3]> : tensor<4xi64>)
// REG-DAG: llvm.mlir.global internal constant @[[$DP:__moefold_i64_[0-9]+]](dense<[0, 2, 1, 3]> : tensor<4xi64>)
// REG-DAG: llvm.mlir.global internal constant @[[$NTP:__moefold_str_[0-9]+]]("dense.tp\00")
// REG-DAG: llvm.mlir.global internal constant @[[$NDP:__moefold_str_[0-9]+]]("dense.dp\00")
// REG-DAG: llvm.mlir.global internal constant @[[$NDPTP:__moefold_str_[0-9]+]]("dense.dp+tp\00")
// REG-DAG: llvm.mlir.global internal constant @[[$NEP:__moefold_str_[0-9]+]]("expert.ep\00")
// REG-LABEL: func.func @moefold_register()
// REG: %[[W:.*]] = arith.constant 4 : i64
// REG: call @mfrt_register_world(%[[W]]) : (i64) -> ()
// REG: %[[ID0:.*]] = arith.constant 0 : i64
// REG: %[[NAME0:.*]] = llvm.mlir.addressof @[[$NTP]]
// REG: %[[NG:.*]] = arith.constant 2 : i64
// REG: %[[GS:.*]] = arith.constant 2 : i64
// REG: %[[T0:.*]] = llvm.mlir.addressof @[[$TP]]
// REG: call @mfrt_register_group_table(%[[ID0]], %[[NAME0]], %[[NG]], %[[GS]], %[[T0]]) : (i64, !llvm.ptr, i64, i64, !llvm.ptr) -> ()
// REG: llvm.mlir.addressof @[[$NDP]]
// REG: llvm.mlir.addressof @[[$DP]]
// REG: call @mfrt_register_group_table
// One group of four over dp and tp.
// REG: llvm.mlir.addressof @[[$NDPTP]]
// REG: %[[ONE:.*]] = arith.constant 1 : i64
// REG: %[[FOUR:.*]] = arith.constant 4 : i64
// REG: llvm.mlir.addressof @[[$TP]]
// REG: call @mfrt_register_group_table(%{{.*}}, %{{.*}}, %[[ONE]], %[[FOUR]], %{{.*}})
// REG: llvm.mlir.addressof @[[$NEP]]
// REG: llvm.mlir.addressof @[[$TP]]
// REG: call @mfrt_register_group_table
// REG-NOT: call @mfrt_register_group_table
// REG-DAG: func.func private @mfrt_mlir_all_reduce_f32(i64, memref<*xf32>, memref<*xf32>, i32)
// REG-DAG: func.func private @mfrt_register_group_table(i64, !llvm.ptr, i64, i64, !llvm.ptr)
