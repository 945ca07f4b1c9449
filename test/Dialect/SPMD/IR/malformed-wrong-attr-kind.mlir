// RUN: not moefold-opt %s 2>&1 | FileCheck %s

// The world size must be an integer, not a string.

spmd.mesh @mesh world = "eight" dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
// CHECK: malformed-wrong-attr-kind.mlir:5:25: error: custom op 'spmd.mesh' invalid kind of attribute specified
