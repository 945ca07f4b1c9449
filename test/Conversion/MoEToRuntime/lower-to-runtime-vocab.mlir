// RUN: moefold-opt %s --moe-lower-to-runtime | FileCheck %s

// A vocab-parallel cross-entropy (what moe-partition emits when tp splits
// the vocabulary): the shards' offsets are a 1-d i32 table stored element by
// element and sliced per rank by the local_slice shim (group table 0,
// dense.tp); each moe.vocab_* op is one shim call; the max is all-reduced
// with MAX (2), the sums with SUM (0).

spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// CHECK-LABEL: func.func private @vocab_parallel(
// CHECK-SAME: %[[L:[^:]+]]: memref<2x4x8xf32>, %[[T:[^:]+]]: memref<2x4xi32>, %[[DL:[^:]+]]: memref<f32>
func.func private @vocab_parallel(%l: tensor<2x4x8xf32>, %t: tensor<2x4xi32>, %dl: tensor<f32>) -> (tensor<f32>, tensor<2x4x8xf32>) {
  // CHECK: %[[TABLE:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2xi32>
  // CHECK: %[[I0:.*]] = arith.constant 0 : index
  // CHECK: %[[V0:.*]] = arith.constant 0 : i32
  // CHECK: memref.store %[[V0]], %[[TABLE]][%[[I0]]] : memref<2xi32>
  // CHECK: %[[I1:.*]] = arith.constant 1 : index
  // CHECK: %[[V1:.*]] = arith.constant 8 : i32
  // CHECK: memref.store %[[V1]], %[[TABLE]][%[[I1]]] : memref<2xi32>
  %table = arith.constant dense<[0, 8]> : tensor<2xi32>
  // CHECK: %[[OFF:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1xi32>
  // CHECK: call @mfrt_mlir_local_slice_i32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (i64, memref<*xi32>, memref<*xi32>, i64) -> ()
  %off = spmd.convert %table over @mesh[dense] [tp] (R -> V) dim 0 : tensor<2xi32> -> tensor<1xi32>
  // The maximum does not read the offset.
  // CHECK: call @mfrt_mlir_vocab_max_fwd_f32(%{{.*}}, %{{.*}}) : (memref<*xf32>, memref<*xf32>) -> ()
  %ml = moe.vocab_max %l, %off : tensor<2x4x8xf32>, tensor<1xi32>
  // CHECK: %[[MAX:.*]] = arith.constant 2 : i32
  // CHECK: call @mfrt_mlir_all_reduce_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[MAX]])
  %m = spmd.all_reduce %ml over @mesh[dense] [tp] (V -> R) reduction = max : tensor<2x4xf32>
  // CHECK: call @mfrt_mlir_vocab_sumexp_fwd_f32(%{{.*}}, %{{.*}}, %{{.*}}) : (memref<*xf32>, memref<*xf32>, memref<*xf32>) -> ()
  %sl = moe.vocab_sumexp %l, %off, %m : tensor<2x4x8xf32>, tensor<1xi32>, tensor<2x4xf32>
  // CHECK: %[[SUM:.*]] = arith.constant 0 : i32
  // CHECK: call @mfrt_mlir_all_reduce_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[SUM]])
  %se = spmd.all_reduce %sl over @mesh[dense] [tp] (V -> R) : tensor<2x4xf32>
  // CHECK: %[[OFFC:.*]] = memref.cast %[[OFF]] : memref<1xi32> to memref<*xi32>
  // CHECK: %[[V:.*]] = arith.constant 16 : i64
  // CHECK: call @mfrt_mlir_vocab_target_logit_fwd_f32(%{{.*}}, %[[OFFC]], %{{.*}}, %[[V]], %{{.*}}) : (memref<*xf32>, memref<*xi32>, memref<*xi32>, i64, memref<*xf32>) -> ()
  %tl = moe.vocab_target_logit %l, %off, %t vocab_size = 16 : tensor<2x4x8xf32>, tensor<1xi32>, tensor<2x4xi32>
  %tt = spmd.all_reduce %tl over @mesh[dense] [tp] (V -> R) : tensor<2x4xf32>
  // CHECK: %[[N:.*]] = arith.constant 8 : i64
  // CHECK: call @mfrt_mlir_vocab_cross_entropy_fwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[N]], %{{.*}}) : (memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, memref<*xf32>) -> ()
  %loss = moe.vocab_cross_entropy %m, %se, %tt num_tokens = 8 : tensor<2x4xf32>
  // CHECK: call @mfrt_mlir_vocab_cross_entropy_bwd_f32({{.*}}) : (memref<*xf32>, memref<*xi32>, memref<*xi32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, memref<*xf32>) -> ()
  %d = moe.vocab_cross_entropy_grad %l, %off, %t, %m, %se, %dl num_tokens = 8 : tensor<2x4x8xf32>, tensor<1xi32>, tensor<2x4xi32>, tensor<2x4xf32>, tensor<f32>
  return %loss, %d : tensor<f32>, tensor<2x4x8xf32>
}
