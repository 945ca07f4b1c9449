// RUN: moefold-opt %s -split-input-file --spmd-verify-types=print-types | FileCheck %s

// scf.for and scf.if bodies are checked like straight-line code; a
// loop-carried value keeps its type and both branches of an if agree.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @regions_accumulate
// CHECK: scf.for
// CHECK: moe.add {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = P, tp = I}>]
// CHECK-NEXT: scf.yield
// CHECK-NEXT: } {spmd.types = [#spmd.local<@mesh[dense] {dp = P, tp = I}>]}
// Gradient accumulation over micro-batches: P + P stays P.
func.func @regions_accumulate(%acc: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = I}>},
                              %g: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = I}>}) -> tensor<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%a = %acc) -> (tensor<8xf32>) {
    %s = moe.add %a, %g : tensor<8xf32>
    scf.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @regions_if
// CHECK: scf.if
// CHECK: } else {
// CHECK: scf.yield
// CHECK-NEXT: } {spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]}
// Both branches yield V.
func.func @regions_if(%c: i1, %a: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = V}>},
                      %b: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>}) -> tensor<8xf32> {
  %r = scf.if %c -> (tensor<8xf32>) {
    scf.yield %a : tensor<8xf32>
  } else {
    %s = moe.add %a, %b : tensor<8xf32>
    scf.yield %s : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}
