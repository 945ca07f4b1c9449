// RUN: not moefold-opt %s 2>&1 | FileCheck %s

// An op cut off after its axes (no type pair, no type) is a located parse
// error, not a crash.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

func.func @malformed_truncated_op(%x: tensor<4xf32>) {
  %r = spmd.all_reduce %x over @mesh[dense] [tp]
  return
}
// CHECK: malformed-truncated-op.mlir:9:49: error: expected '('
