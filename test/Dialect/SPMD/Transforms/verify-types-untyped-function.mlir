// RUN: moefold-opt %s --spmd-verify-types=print-types | FileCheck %s

// Only functions with a typed argument are checked: global-semantics code
// and helpers without local types pass through untouched.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @untyped_function_skipped
// CHECK-NOT: spmd.types
// CHECK: return
// Nothing is typed, so nothing is inferred or annotated.
func.func @untyped_function_skipped(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %s = moe.add %x, %y : tensor<4xf32>
  return %s : tensor<4xf32>
}

// CHECK-LABEL: func.func private @untyped_function_declaration
// A declaration has no body to check.
func.func private @untyped_function_declaration(%x: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<4xf32>
