// RUN: not moefold-opt %s 2>&1 | FileCheck %s

// A view list that is never closed runs into the next keyword.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2 expert = [edp, ep = 4, etp = 1]
// CHECK: malformed-unbalanced.mlir:5:46: error: expected ']'
