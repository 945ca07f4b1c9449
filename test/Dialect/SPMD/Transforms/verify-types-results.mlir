// RUN: moefold-opt %s --spmd-verify-types | FileCheck %s

// `spmd.local` on a function result declares the type the caller (or the
// optimizer, for gradients) expects; the returned value must have it.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @results_router_grad
// A router gradient that is a pending sum over dp and tp, reduced over both,
// is complete on every rank as declared.
func.func @results_router_grad(%g: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = P}>})
    -> (tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = I, tp = I}>}) {
  %r = spmd.all_reduce %g over @mesh[dense] [dp, tp] (P -> I) : tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}
