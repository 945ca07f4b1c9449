// RUN: moefold-opt %s -split-input-file --spmd-verify-types=print-types | FileCheck %s

// `spmd.local` on an op types its results: the type of a parameter read or
// a constant, or an assertion the inference must agree with. One
// `#spmd.local` per view, or an array of them for both views.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
moe.param @norm : tensor<8xf32> family = norm

// CHECK-LABEL: func.func @annotation_get_param
// CHECK: moe.get_param {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = R, tp = I}>]
// CHECK: moe.rms_norm {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = I}>]
// A replicated parameter read in a per-rank program: R over dp (the data
// parallel wrapper reduces its gradient), I over tp (complete per lane).
func.func @annotation_get_param(%x: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>}) -> tensor<4x8xf32> {
  %g = moe.get_param @norm {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = I}>} : tensor<8xf32>
  %y = moe.rms_norm %x, %g : tensor<4x8xf32>, tensor<8xf32>
  return %y : tensor<4x8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @annotation_assert
// CHECK: moe.linear {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// CHECK: arith.constant {{.*}}spmd.types = [#spmd.local<@mesh[dense] {tp = R}>, #spmd.local<@mesh[expert] {ep = R}>]
// An annotation that agrees with the inference is accepted (assert_type);
// on a constant it gives it types on both views.
func.func @annotation_assert(%x: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
                             %w: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>}) -> tensor<4x4xf32> {
  %y = moe.linear %x, %w {spmd.local = #spmd.local<@mesh[dense] {tp = V}>} : tensor<4x8xf32>, tensor<8x4xf32>
  %c = arith.constant {spmd.local = [#spmd.local<@mesh[dense] {tp = R}>, #spmd.local<@mesh[expert] {ep = R}>]} dense<1.0> : tensor<4xf32>
  return %y : tensor<4x4xf32>
}
