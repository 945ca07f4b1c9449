// RUN: moefold-opt %s -split-input-file --spmd-verify-types=print-types | FileCheck %s

// A `{moe.loss}` result must be P (each rank holds a partial sum of the
// per-token losses, normalised by the global token count) or I (every rank
// holds the whole loss and uses it identically) on every axis.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @loss_partial_over_dp
// CHECK: moe.cross_entropy {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = I}>]
// CHECK: spmd.reinterpret {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = P, tp = I}>]
// Each dp rank's cross-entropy over its own tokens is its share of the
// global mean: P over dp, I over tp.
func.func @loss_partial_over_dp(%logits: tensor<1x4x16xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
                                %targets: tensor<1x4xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>}) -> (tensor<f32> {moe.loss}) {
  %ce = moe.cross_entropy %logits, %targets : tensor<1x4x16xf32>, tensor<1x4xi32>
  %loss = spmd.reinterpret %ce over @mesh[dense] [dp] (V -> P) : tensor<f32>
  return %loss : tensor<f32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @loss_reduced_to_invariant
// CHECK: spmd.all_reduce {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = I, tp = I}>]
// A loss all-reduced to I everywhere is fine too.
func.func @loss_reduced_to_invariant(%l: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = P}>}) -> (tensor<f32> {moe.loss}) {
  %loss = spmd.all_reduce %l over @mesh[dense] [dp, tp] (P -> I) : tensor<f32>
  return %loss : tensor<f32>
}

// -----

spmd.mesh @mesh world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]

// CHECK-LABEL: func.func @loss_size_one_axis
// On an axis of size 1 every type means the same thing.
func.func @loss_size_one_axis(%l: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = R}>}) -> (tensor<f32> {moe.loss}) {
  return %l : tensor<f32>
}
