// RUN: moefold-opt %s --spmd-verify-types=print-types | FileCheck %s

// op(V, R) -> V: R and V mix freely; any V operand makes the result V.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @varying_column_parallel
// CHECK: moe.linear {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// CHECK: moe.swiglu {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// CHECK: moe.linear {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// A column-parallel matmul (R input, V weight) and a non-linear op on V:
// each rank computes its own shard, no pending sum.
func.func @varying_column_parallel(%x: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
                                   %wg: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>},
                                   %wu: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>}) -> tensor<4x4xf32> {
  %g = moe.linear %x, %wg : tensor<4x8xf32>, tensor<8x4xf32>
  %s = moe.swiglu %g, %g : tensor<4x4xf32>
  %u = moe.linear %x, %wu : tensor<4x8xf32>, tensor<8x4xf32>
  return %u : tensor<4x4xf32>
}

// CHECK-LABEL: func.func @varying_plus_replicate
// CHECK: moe.add {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// CHECK: arith.mulf {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// V + R and V * R are V (the R operand's gradient becomes a pending sum).
func.func @varying_plus_replicate(%v: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = V}>},
                                  %r: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}) -> tensor<4xf32> {
  %s = moe.add %v, %r : tensor<4xf32>
  %m = arith.mulf %r, %s : tensor<4xf32>
  return %m : tensor<4xf32>
}
