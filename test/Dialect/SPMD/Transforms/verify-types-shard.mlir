// RUN: moefold-opt %s -split-input-file --spmd-verify-types | FileCheck %s

// A V that is not known to be a shard may be read as a partial sum by
// all_reduce V -> R (the dialect's reading of V there).

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// CHECK-LABEL: func.func @shard_norm_squares
// The square of a norm of shards is this rank's part of the global sum of
// squares: the norm sums over every element.
func.func @shard_norm_squares(
    %g: tensor<8x4xf32> {moe.global_placement = #spmd.placement<@mesh[dense] {tp = S(1)}>,
                         spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<f32> {
  %n = moe.global_norm %g : tensor<8x4xf32>
  %sq = arith.mulf %n, %n : tensor<f32>
  %r = spmd.all_reduce %sq over @mesh[dense] [tp] (V -> R) : tensor<f32>
  return %r : tensor<f32>
}

// CHECK-LABEL: func.func @shard_argument_without_placement
// An argument typed V with no global placement is whatever the caller says.
func.func @shard_argument_without_placement(
    %x: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<8xf32> {
  %r = spmd.all_reduce %x over @mesh[dense] [tp] (V -> R) : tensor<8xf32>
  return %r : tensor<8xf32>
}

// CHECK-LABEL: func.func @shard_only_on_every_path
// A loop that starts from a shard and yields a value that is not known to be
// one: its result is not known to be a shard.
func.func @shard_only_on_every_path(
    %x: tensor<8xf32> {moe.global_placement = #spmd.placement<@mesh[dense] {tp = S(0)}>,
                       spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %y: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %l = scf.for %i = %c0 to %c2 step %c1 iter_args(%acc = %x) -> (tensor<8xf32>) {
    %n = arith.addf %acc, %y : tensor<8xf32>
    scf.yield %n : tensor<8xf32>
  }
  %r = spmd.all_reduce %l over @mesh[dense] [tp] (V -> R) : tensor<8xf32>
  return %r : tensor<8xf32>
}

// CHECK-LABEL: func.func @shard_group_sizes_counted
// Expert counts over this rank's tokens are this rank's own and a share of
// the global counts: they may be summed.
func.func @shard_group_sizes_counted(
    %x: tensor<1x4x8xf32> {moe.global_placement = #spmd.placement<@mesh[dense] {dp = S(0)}>,
                           spmd.local = #spmd.local<@mesh[dense] {dp = V}>},
    %idx: tensor<1x4x2xi32> {moe.global_placement = #spmd.placement<@mesh[dense] {dp = S(0)}>,
                             spmd.local = #spmd.local<@mesh[dense] {dp = V}>}) -> tensor<4xi32> {
  %sorted, %sizes = moe.dispatch %x, %idx num_experts = 4 : tensor<1x4x8xf32>, tensor<1x4x2xi32>
  %total = spmd.all_reduce %sizes over @mesh[dense] [dp] (V -> R) : tensor<4xi32>
  return %total : tensor<4xi32>
}
