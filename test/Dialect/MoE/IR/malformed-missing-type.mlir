// RUN: not moefold-opt %s -split-input-file 2>&1 | FileCheck %s

// Types are part of the syntax; leaving them out is a located parse error.

// CHECK: malformed-missing-type.mlir:[[@LINE+1]]:13: error: expected ':'
moe.param @p family = dense

// -----

func.func @malformed_missing_type_op(%x: tensor<2x64xf32>, %w: tensor<64x8xf32>) {
  // CHECK: malformed-missing-type.mlir:[[@LINE+1]]:25: error: expected ':'
  %0 = moe.linear %x, %w
  return
}

// -----

func.func @malformed_missing_type_get_param() {
  // CHECK: malformed-missing-type.mlir:[[@LINE+1]]:24: error: expected ':'
  %0 = moe.get_param @p
}

// CHECK-NOT: PLEASE{{ }}submit
// CHECK-NOT: Stack{{ }}dump
