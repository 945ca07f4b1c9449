// RUN: moefold-opt %s --spmd-verify-types=print-types | FileCheck %s

// op(I..) -> I: the non-TP region of Megatron-style tensor parallelism runs
// identical compute on every TP lane, with complete gradients everywhere.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @invariant_compute
// CHECK: moe.rms_norm {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = I}>]
// CHECK: moe.router {{.*}}spmd.types = {{\[}}[#spmd.local<@mesh[dense] {dp = V, tp = I}>], [#spmd.local<@mesh[dense] {dp = V, tp = I}>], [#spmd.local<@mesh[dense] {dp = V, tp = I}>]]
// CHECK: moe.add {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = I}>]
// Norm, router and residual on I inputs stay I; dp is an independent axis
// where V and R mix as usual.
func.func @invariant_compute(%h: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
                             %g: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = I}>},
                             %w: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = I}>}) -> tensor<2x4x8xf32> {
  %n = moe.rms_norm %h, %g : tensor<2x4x8xf32>, tensor<8xf32>
  %scores, %indices, %probs = moe.router %n, %w scoring = softmax top_k = 2 : tensor<2x4x8xf32>, tensor<8x4xf32>
  %s = moe.add %n, %h : tensor<2x4x8xf32>
  return %s : tensor<2x4x8xf32>
}

// CHECK-LABEL: func.func @invariant_convert_to_replicate
// CHECK: spmd.convert {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = R}>]
// CHECK: moe.linear {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// Entering the TP region: convert I -> R (Megatron's copy-to-region, whose
// backward all-reduces) makes the input usable with a column-parallel weight.
func.func @invariant_convert_to_replicate(%x: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
                                          %w: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>}) -> tensor<4x4xf32> {
  %r = spmd.convert %x over @mesh[dense] [tp] (I -> R) : tensor<4x8xf32> -> tensor<4x8xf32>
  %y = moe.linear %r, %w : tensor<4x8xf32>, tensor<8x4xf32>
  return %y : tensor<4x4xf32>
}
