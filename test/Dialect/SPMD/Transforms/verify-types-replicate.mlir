// RUN: moefold-opt %s --spmd-verify-types=print-types | FileCheck %s

// op(R..) -> R: compute on values that are the same on every rank of an
// axis (and whose gradients are pending sums there) stays R.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @replicate_compute
// CHECK: moe.rms_norm {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = R, tp = R}>]
// CHECK: moe.linear {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = R, tp = R}>]
// CHECK: moe.add {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = R, tp = R}>]
// A replicated activation through a norm, a matmul with a replicated weight
// and a residual sum: every rank computes the same thing.
func.func @replicate_compute(%x: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>},
                             %g: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>},
                             %w: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}) -> tensor<4x8xf32> {
  %n = moe.rms_norm %x, %g : tensor<4x8xf32>, tensor<8xf32>
  %y = moe.linear %n, %w : tensor<4x8xf32>, tensor<8x8xf32>
  %s = moe.add %y, %x : tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @replicate_per_axis
// CHECK: moe.linear {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = R, tp = V}>]
// Types are per axis: R on one axis does not decide the others.
func.func @replicate_per_axis(%x: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>},
                              %w: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>}) -> tensor<4x4xf32> {
  %y = moe.linear %x, %w : tensor<4x8xf32>, tensor<8x4xf32>
  return %y : tensor<4x4xf32>
}
