// RUN: moefold-opt %s -split-input-file -verify-diagnostics --spmd-verify-types

// The gate gradient of a gated shared expert (Qwen2-MoE) whose hidden units
// are split over tp (w_gate, w_up column-parallel, w_down row-parallel):
// dgate = sum over tokens of x * sigmoid'(x @ gate) * <dout, mlp(x)>, and
// mlp(x) sums over the hidden units, so each rank holds a share of the sum.
// Reducing it over tp is right; returning it as whole is the missing
// all-reduce.

spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

func.func @gate_gradient_reduced(
    %x: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    %wg: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %wu: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %wd: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %g: tensor<8x1xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    %dout: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>})
    -> (tensor<8x1xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) {
  %dx, %dwg, %dwu, %dwd, %dgate = moe.shared_expert_grad %x, %wg, %wu, %wd gate %g, %dout : tensor<2x4x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x1xf32>
  %whole = spmd.all_reduce %dgate over @mesh[dense] [tp] (V -> R) : tensor<8x1xf32>
  return %whole : tensor<8x1xf32>
}

// -----

spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

func.func @gate_gradient_not_reduced(
    %x: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    %wg: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %wu: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %wd: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
    %g: tensor<8x1xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
    %dout: tensor<2x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>})
    -> (tensor<8x1xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) {
  // expected-note @+1 {{pending sum over axis tp of @mesh[dense] (typed V) made here: the op contracts operands split on tp}}
  %dx, %dwg, %dwu, %dwd, %dgate = moe.shared_expert_grad %x, %wg, %wu, %wd gate %g, %dout : tensor<2x4x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x1xf32>
  // expected-error @+1 {{result #0 (%dgate) is typed V but a pending sum on axis tp of @mesh[dense], but the function declares it R: reduce it first}}
  return %dgate : tensor<8x1xf32>
}

// -----

// A constant result (the zero gradient of a router bias) is the same on
// every rank: it satisfies R.
spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

func.func @constant_result(%x: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>})
    -> (tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) {
  %zero = moe.fill 0.0 : tensor<4xf32>
  return %zero : tensor<4xf32>
}
