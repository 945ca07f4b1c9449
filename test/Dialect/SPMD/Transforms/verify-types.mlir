// RUN: moefold-opt %s --spmd-verify-types=print-types | FileCheck %s
// RUN: moefold-opt %s --spmd-verify-types | FileCheck %s --check-prefix=QUIET

// End to end: a Megatron-style tensor-parallel MLP block and its loss on
// world 8 = dp4 x tp2, typed the way moe-partition emits it. Every step
// type-checks; print-types shows the inference, the plain pass leaves the IR
// unchanged.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @verify_types_tp_mlp
// CHECK: spmd.convert {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = R}>]
// CHECK: moe.linear {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// CHECK: moe.linear {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// CHECK: moe.swiglu {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// CHECK: moe.linear {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// CHECK: spmd.reinterpret {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = P}>]
// CHECK: spmd.all_reduce {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = I}>]
// CHECK: moe.add {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = I}>]
// CHECK: moe.linear {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = I}>]
// CHECK: moe.cross_entropy {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = I}>]
// CHECK: spmd.reinterpret {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = P, tp = I}>]
// QUIET-LABEL: func.func @verify_types_tp_mlp
// QUIET-NOT: spmd.types
// Copy-to-region, column- then row-parallel linear, the all-reduce out of
// the TP region, the residual, a replicated head and the loss as each dp
// rank's share of the global mean.
func.func @verify_types_tp_mlp(
    %h: tensor<1x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
    %w_gate: tensor<8x16xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>},
    %w_up: tensor<8x16xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>},
    %w_down: tensor<16x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>},
    %head: tensor<8x32xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = I}>},
    %targets: tensor<1x4xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>}) -> (tensor<f32> {moe.loss}) {
  %x = spmd.convert %h over @mesh[dense] [tp] (I -> R) : tensor<1x4x8xf32> -> tensor<1x4x8xf32>
  %g = moe.linear %x, %w_gate : tensor<1x4x8xf32>, tensor<8x16xf32>
  %u = moe.linear %x, %w_up : tensor<1x4x8xf32>, tensor<8x16xf32>
  %a = moe.swiglu %g, %u : tensor<1x4x16xf32>
  %d = moe.linear %a, %w_down : tensor<1x4x16xf32>, tensor<16x8xf32>
  %p = spmd.reinterpret %d over @mesh[dense] [tp] (V -> P) : tensor<1x4x8xf32>
  %y = spmd.all_reduce %p over @mesh[dense] [tp] (P -> I) : tensor<1x4x8xf32>
  %r = moe.add %h, %y : tensor<1x4x8xf32>
  %logits = moe.linear %r, %head : tensor<1x4x8xf32>, tensor<8x32xf32>
  %ce = moe.cross_entropy %logits, %targets : tensor<1x4x32xf32>, tensor<1x4xi32>
  %loss = spmd.reinterpret %ce over @mesh[dense] [dp] (V -> P) : tensor<f32>
  return %loss : tensor<f32>
}
