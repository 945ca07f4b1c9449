// RUN: moefold-opt %s -split-input-file --spmd-verify-types=print-types | FileCheck %s

// The dense and expert views factorise the same ranks. A value typed on
// every axis of one view gets its type on an axis of the other view from
// the rank layout: through a uniform type, or through an axis whose rank
// groups are the same. Size-1 axes (etp = 1) never constrain anything.

// world 4 = dp2 x tp2 = edp2 x ep2: the ep groups are the tp groups and the
// edp groups are the dp groups.
spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]

// CHECK-LABEL: func.func @views_same_groups
// CHECK: moe.experts {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>, #spmd.local<@mesh[expert] {edp = V, ep = V, etp = R}>]
// The tokens are R over tp and ep groups coincide with tp groups, so they are
// R over ep and mix with the V expert weights; on the dense axes the weights
// are derived from the expert view.
func.func @views_same_groups(%x: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
                             %sizes: tensor<2xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
                             %wg: tensor<2x4x6xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
                             %wu: tensor<2x4x6xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>},
                             %wd: tensor<2x6x4xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>}) -> tensor<8x4xf32> {
  %y = moe.experts %x, %sizes, %wg, %wu, %wd : tensor<8x4xf32>, tensor<2xi32>, tensor<2x4x6xf32>, tensor<2x4x6xf32>, tensor<2x6x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @views_uniform
// CHECK: moe.add {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = I, tp = I}>, #spmd.local<@mesh[expert] {edp = I, ep = I, etp = I}>]
// A value I on every dense axis is I on every expert axis (e.g. two
// complete sums of squares added for the global grad-norm).
func.func @views_uniform(%a: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = I, tp = I}>},
                         %b: tensor<f32> {spmd.local = #spmd.local<@mesh[expert] {edp = I, ep = I, etp = I}>}) -> tensor<f32> {
  %s = moe.add %a, %b : tensor<f32>
  return %s : tensor<f32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @views_partially_typed
// CHECK: moe.add {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// An axis a value is not typed on (dp of %b) is not checked: the result
// takes the type of the operands that are typed there.
func.func @views_partially_typed(%a: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
                                 %b: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<4xf32> {
  %s = moe.add %a, %b : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// world 8 = dp2 x tp4 = edp4 x ep2: each ep group is half of a tp group.
spmd.mesh @mesh world = 8 dense = [dp, tp = 4] expert = [edp, ep = 2, etp = 1]

// CHECK-LABEL: func.func @views_part_of_group
// CHECK: spmd.all_to_all {{.*}}spmd.types = [#spmd.local<@mesh[expert] {edp = V, ep = V}>]
// CHECK: spmd.convert {{.*}}spmd.types = [#spmd.local<@mesh[expert] {ep = V}>]
// CHECK: spmd.all_gather {{.*}}spmd.types = [#spmd.local<@mesh[expert] {ep = I}>]
// V and I carry over to part of a group (R and P do not, see
// verify-types-views-invalid.mlir): V tokens are V over ep, and an I value
// over tp is I over the half of tp that ep covers. On edp, whose groups span
// dp (V) and tp (I), %i has no single type, so the results are typed on ep
// only.
func.func @views_part_of_group(%x: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = V}>},
                               %i: tensor<4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
                               %send: tensor<2xi64>, %recv: tensor<2xi64>) -> tensor<?x4xf32> {
  %y = spmd.all_to_all %x, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<8x4xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<?x4xf32>
  %s = spmd.convert %i over @mesh[expert] [ep] (I -> V) dim 0 : tensor<4x4xf32> -> tensor<2x4xf32>
  %g = spmd.all_gather %s over @mesh[expert] [ep] (V -> I) dim 0 : tensor<2x4xf32> -> tensor<4x4xf32>
  return %y : tensor<?x4xf32>
}
