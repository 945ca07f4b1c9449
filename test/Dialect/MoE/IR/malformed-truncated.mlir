// RUN: not moefold-opt %s 2>&1 | FileCheck %s

// An op cut off in the middle (as by an interrupted write) is a located
// parse error at the end of the input, not a crash (`not` fails on a crash).

func.func @malformed_truncated(%x: tensor<2x16x64xf32>, %w: tensor<64x8xf32>) {
  %s, %i, %p = moe.router %x, %w scoring = softmax top_k =
// CHECK: malformed-truncated.mlir:{{[0-9]+}}:{{[0-9]+}}: error: expected attribute value
// CHECK-NOT: PLEASE{{ }}submit
// CHECK-NOT: Stack{{ }}dump
