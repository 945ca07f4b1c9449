// Per-rank local shapes of parameters under a folded world-4 mesh
// (dense dp2 x tp2, expert ep4). Expected shapes are the global shapes with
// each sharded dim divided by the product of its axis sizes, by hand.
// RUN: moefold-opt %s --moe-print-param-table -o /dev/null | FileCheck %s

module {
  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
  // Column-parallel: output dim split over tp.
  moe.param @wq : tensor<32x48xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
  // One dim sharded over two axes: 8 rows over dp(2) x tp(2).
  moe.param @two_axes : tensor<8x4xf32> family = dense placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = S(0)}>
  // Routed experts split over ep in the expert view.
  moe.param @w_up : tensor<8x32x16xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}>
  // No placement: every rank holds the whole tensor.
  moe.param @norm : tensor<32xf32> family = norm
}

// CHECK:      param family view global placement local
// CHECK-NEXT: wq dense dense 32x48 [dp=R, tp=S(1)] 32x24
// CHECK-NEXT: two_axes dense dense 8x4 [dp=S(0), tp=S(0)] 2x4
// CHECK-NEXT: w_up routed_expert expert 8x32x16 [edp=R, ep=S(0), etp=R] 2x32x16
// CHECK-NEXT: norm norm dense 32 replicated 32
// 32*48 + 8*4 + 8*32*16 + 32 = 1536 + 32 + 4096 + 32
// CHECK-NEXT: total parameters: 5696
