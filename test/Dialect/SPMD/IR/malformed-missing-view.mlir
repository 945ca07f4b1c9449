// RUN: not moefold-opt %s 2>&1 | FileCheck %s

// Both views are required: a mesh without its expert view does not parse.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2]
func.func @malformed_missing_view() {
  return
}
// CHECK: malformed-missing-view.mlir:6:1: error: custom op 'spmd.mesh' expected 'expert'
