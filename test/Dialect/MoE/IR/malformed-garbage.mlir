// RUN: not moefold-opt %s -split-input-file 2>&1 | FileCheck %s

// Garbage inside moe ops is reported at the offending token, once per split.

// CHECK: malformed-garbage.mlir:[[@LINE+1]]:30: error: custom op 'moe.param' expected 'family'
moe.param @p : tensor<4xf32> famly = dense

// -----

func.func @malformed_garbage_token(%x: tensor<2x64xf32>, %w: tensor<64x8xf32>) {
  // CHECK: malformed-garbage.mlir:[[@LINE+1]]:26: error: unexpected character
  %0 = moe.linear %x, %w $$$ : tensor<2x64xf32>, tensor<64x8xf32>
  return
}

// -----

// CHECK: malformed-garbage.mlir:[[@LINE+1]]:1: error: custom op 'moe.bogus' is unknown
moe.bogus @x

// -----

// CHECK: malformed-garbage.mlir:[[@LINE+1]]:58: error: expected '('
moe.param @q : tensor<4xf32> family = dense init = normal 0.02

// CHECK-NOT: PLEASE{{ }}submit
// CHECK-NOT: Stack{{ }}dump
