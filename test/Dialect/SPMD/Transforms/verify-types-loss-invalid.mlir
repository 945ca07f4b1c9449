// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// A loss typed R or V on an axis seeds the wrong gradient.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// An R-typed loss: every TP lane seeds gradient 1 for the same loss, and the
// pending sum of R's gradient (P) adds them up: tp times the true gradient.
func.func @negative_loss_replicate(
    // expected-note @+1 {{type R on axis tp of @mesh[dense] comes from here}}
    %logits: tensor<1x4x16xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
    %targets: tensor<1x4xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>}) -> (tensor<f32> {moe.loss}) {
  %ce = moe.cross_entropy %logits, %targets : tensor<1x4x16xf32>, tensor<1x4xi32>
  %loss = spmd.reinterpret %ce over @mesh[dense] [dp] (V -> P) : tensor<f32>
  // expected-error @+1 {{loss %1 is typed R on axis tp of @mesh[dense], but a loss must be P or I on every axis: an R loss seeds the same gradient on each of the 2 ranks of tp and their sum makes it 2x too large (the tp-size factor); declare that every rank uses it identically (spmd.convert R -> I), or type each rank's share as P}}
  return %loss : tensor<f32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A V-typed loss: each dp rank's mean over its own tokens, never declared a
// share of the global sum.
func.func @negative_loss_varying(
    %logits: tensor<1x4x16xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
    %targets: tensor<1x4xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>}) -> (tensor<f32> {moe.loss}) {
  // The mean over this rank's tokens is its share of a sum over dp.
  // expected-note @+1 {{pending sum over axis dp of @mesh[dense] (typed V) made here: the op contracts operands split on dp}}
  %ce = moe.cross_entropy %logits, %targets : tensor<1x4x16xf32>, tensor<1x4xi32>
  // expected-error @+1 {{loss %0 is typed V on axis dp of @mesh[dense], but a loss must be P or I on every axis: a V loss has no single value; if each rank holds a partial sum of it, say so with spmd.reinterpret V -> P}}
  return %ce : tensor<f32>
}
