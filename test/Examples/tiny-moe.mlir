// The example model users run first verifies, round-trips through the
// generic form, and its parameters fit the folded world-8 mesh.
// RUN: moefold-opt %moefold_src/examples/tiny_moe.mlir | FileCheck %s
// RUN: moefold-opt %moefold_src/examples/tiny_moe.mlir --mlir-print-op-generic | moefold-opt | FileCheck %s
// RUN: moefold-opt %moefold_src/examples/tiny_moe.mlir --moe-print-param-table -o /dev/null | FileCheck %s --check-prefix=PARAMS

// CHECK: spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
// CHECK-DAG: moe.param @layers.0.moe.w_gate : tensor<8x64x128xf32> family = routed_expert
// CHECK-DAG: moe.param @layers.1.moe.router : tensor<64x8xf32> family = router
// CHECK: func.func
// CHECK-SAME: {moe.loss}
// CHECK-COUNT-2: moe.router
// CHECK: moe.cross_entropy

// Vocab-parallel embedding: 256 rows over tp = 2.
// PARAMS: embed embedding dense 256x64 [dp=R, tp=S(0)] 128x64
// 8 experts over ep = 4: two experts per rank.
// PARAMS: layers.0.moe.w_gate routed_expert expert 8x64x128 [edp=R, ep=S(0), etp=R] 2x64x128
// By hand: embed 256*64 = 16384; per layer norms 2*64, attention
// 64*64 + 2*64*32 + 64*64 = 12288, router 64*8 = 512, routed experts
// 3*8*64*128 = 196608, shared expert 3*64*128 = 24576 -> 234112; two layers
// 468224; final norm 64; lm head 64*256 = 16384. Total 501056.
// PARAMS: total parameters: 501056
