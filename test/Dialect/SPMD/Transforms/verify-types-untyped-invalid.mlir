// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// In a checked function every value that takes part in typed compute needs a
// type; untyped ones are reported at their first use.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// An argument without spmd.local next to typed ones.
func.func @negative_untyped_argument(
    %x: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    // expected-note @+1 {{%arg1 is defined here}}
    %y: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'moe.add' op operand #1 (%arg1) has no local type: function argument #1 has no 'spmd.local' attribute}}
  %s = moe.add %x, %y : tensor<4xf32>
  // Reported once: later uses stay quiet.
  %t = moe.add %s, %y : tensor<4xf32>
  return %t : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
moe.param @norm : tensor<4xf32> family = norm

// A parameter has a gradient, so its read cannot be a constant.
func.func @negative_untyped_get_param(
    %x: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = I}>}) -> tensor<2x4xf32> {
  // expected-note @+1 {{%0 is defined here}}
  %g = moe.get_param @norm : tensor<4xf32>
  // expected-error @+1 {{'moe.rms_norm' op operand #1 (%0) has no local type: 'moe.get_param' reads a parameter, which has a gradient; give it a 'spmd.local' attribute}}
  %y = moe.rms_norm %x, %g : tensor<2x4xf32>, tensor<4xf32>
  return %y : tensor<2x4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// An untyped operand of a collective.
func.func @negative_untyped_collective_operand(
    %x: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    // expected-note @+1 {{%arg1 is defined here}}
    %y: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'spmd.all_reduce' op operand %arg1 has no local type: function argument #1 has no 'spmd.local' attribute}}
  %s = spmd.all_reduce %y over @mesh[dense] [tp] (P -> R) : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// An untyped loss cannot be checked.
func.func @negative_untyped_loss(
    %x: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    // expected-note @+1 {{%arg1 is defined here}}
    %l: tensor<f32>) -> (tensor<f32> {moe.loss}) {
  // expected-error @+1 {{'func.return' op result #0 (%arg1) has no local type: function argument #1 has no 'spmd.local' attribute}}
  return %l : tensor<f32>
}
