// RUN: moefold-opt %s -split-input-file --spmd-verify-types=print-types | FileCheck %s

// Reads and writes of parameters and states. A state read has its
// declaration's type (V where its global_placement splits it, R elsewhere)
// unless it carries spmd.local; a write must receive the declared type: the
// spmd.local of an earlier read of the same declaration in the function,
// else the declaration's placement's.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

moe.param @w : tensor<8x4xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> {global_type = tensor<8x8xf32>}
moe.state @grad.w : tensor<8x4xf32> {global_placement = #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>, global_type = tensor<8x8xf32>}
moe.state @step : tensor<f32> {global_type = tensor<f32>}

// CHECK-LABEL: func.func @storage_declared_types
// CHECK: moe.get_state @grad.w {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = R, tp = V}>]
// CHECK: moe.get_state @step {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = R, tp = R}>]
func.func @storage_declared_types(%g: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = V}>})
    -> (tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}) {
  %r = spmd.all_reduce %g over @mesh[dense] [dp] (P -> R) : tensor<8x4xf32>
  moe.set_state @grad.w, %r : tensor<8x4xf32>
  %old = moe.get_state @grad.w : tensor<8x4xf32>
  %step = moe.get_state @step : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %next = arith.addf %step, %one : tensor<f32>
  moe.set_state @step, %next : tensor<f32>
  // A constant fits any declaration.
  %zero = moe.fill 0.0 : tensor<8x4xf32>
  moe.set_state @grad.w, %zero : tensor<8x4xf32>
  return %next : tensor<f32>
}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

moe.param @n : tensor<8xf32> family = norm {global_type = tensor<8xf32>}
moe.state @ema.n : tensor<8xf32> {global_type = tensor<8xf32>}

// CHECK-LABEL: func.func @storage_annotated
// CHECK: moe.get_state @ema.n {{.*}}spmd.types = [#spmd.local<@mesh[dense] {tp = I}>]
// A module that owns the reduction reads its parameter I; the write is
// checked against what the read says. spmd.local on a write overrides.
func.func @storage_annotated(%d: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = I}>}) -> tensor<8xf32> {
  %n = moe.get_param @n {spmd.local = #spmd.local<@mesh[dense] {tp = I}>} : tensor<8xf32>
  %n2 = moe.add %n, %d : tensor<8xf32>
  moe.set_param @n, %n2 : tensor<8xf32>
  %e = moe.get_state @ema.n {spmd.local = #spmd.local<@mesh[dense] {tp = I}>} : tensor<8xf32>
  moe.set_state @ema.n, %e : tensor<8xf32>
  %r = spmd.convert %n over @mesh[dense] [tp] (I -> R) : tensor<8xf32> -> tensor<8xf32>
  moe.set_state @ema.n, %r {spmd.local = #spmd.local<@mesh[dense] {tp = R}>} : tensor<8xf32>
  return %n2 : tensor<8xf32>
}
