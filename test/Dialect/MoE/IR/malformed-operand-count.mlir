// RUN: not moefold-opt %s -split-input-file 2>&1 | FileCheck %s

// Wrong operand counts are located diagnostics in both the custom and the
// generic form.

func.func @malformed_operand_count_experts(%s: tensor<64x64xf32>, %g: tensor<8xi32>, %wg: tensor<8x64x128xf32>) {
  // CHECK: malformed-operand-count.mlir:[[@LINE+1]]:36: error: expected ','
  %0 = moe.experts %s, %g, %wg, %wg : tensor<64x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>
  return
}

// -----

func.func @malformed_operand_count_generic(%x: tensor<2x64xf32>) {
  // CHECK: malformed-operand-count.mlir:[[@LINE+1]]:8: error: 'moe.linear' op expected 2 operands, but found 1
  %0 = "moe.linear"(%x) : (tensor<2x64xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @malformed_operand_count_results(%x: tensor<2x16x64xf32>, %w: tensor<64x8xf32>) {
  // CHECK: malformed-operand-count.mlir:[[@LINE+1]]:3: error: operation defines 3 results but was provided 2 to bind
  %s, %i = moe.router %x, %w scoring = softmax top_k = 2 : tensor<2x16x64xf32>, tensor<64x8xf32>
  return
}

// -----

func.func @malformed_operand_count_types(%a: tensor<4xf32>) {
  // CHECK: malformed-operand-count.mlir:[[@LINE+1]]:48: error: expected ','
  %0 = moe.cross_entropy %a, %a : tensor<4xf32>
  return
}

// CHECK-NOT: PLEASE{{ }}submit
// CHECK-NOT: Stack{{ }}dump
