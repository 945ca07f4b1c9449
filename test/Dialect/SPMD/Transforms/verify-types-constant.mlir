// RUN: moefold-opt %s --spmd-verify-types=print-types | FileCheck %s

// Constants (and everything computed from constants only) are the same on
// every rank and have no gradient: I on every axis, but since no gradient
// flows into them they combine with R, I and V like a scalar.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @constant_adopts_type
// CHECK: arith.constant {{.*}}spmd.types = "constant"
// CHECK: tensor.empty() {spmd.types = "constant"}
// CHECK: linalg.fill {{.*}}spmd.types = "constant"
// CHECK: moe.add {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// CHECK: moe.add {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = I}>]
// A filled bias added to a V and to an I activation takes their types.
func.func @constant_adopts_type(%v: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = V}>},
                                %i: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>}) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %b = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %a = moe.add %v, %b : tensor<4xf32>
  %c = moe.add %b, %i : tensor<4xf32>
  return %a : tensor<4xf32>
}

// CHECK-LABEL: func.func @constant_scales_partial
// CHECK: arith.mulf {{.*}}spmd.types = [#spmd.local<@mesh[dense] {tp = P}>]
// Scaling a pending sum by a constant keeps it a pending sum (the loss is
// scaled this way).
func.func @constant_scales_partial(%p: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>}) -> tensor<f32> {
  %c = arith.constant dense<0.25> : tensor<f32>
  %s = arith.mulf %c, %p : tensor<f32>
  return %s : tensor<f32>
}

// CHECK-LABEL: func.func @constant_zero_plus_partial
// CHECK: moe.add {{.*}}spmd.types = [#spmd.local<@mesh[dense] {tp = P}>]
// CHECK: moe.add {{.*}}spmd.types = [#spmd.local<@mesh[dense] {tp = P}>]
// Zero is the one constant a pending sum may be added to (summing zeros
// gives zero): gradient accumulators start from zeros.
func.func @constant_zero_plus_partial(%g: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>}) -> tensor<4xf32> {
  %zeros = arith.constant dense<0.0> : tensor<4xf32>
  %acc = moe.add %zeros, %g : tensor<4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %filled = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %acc2 = moe.add %filled, %acc : tensor<4xf32>
  return %acc2 : tensor<4xf32>
}
