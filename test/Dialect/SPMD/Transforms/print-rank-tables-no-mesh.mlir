// A module without meshes prints nothing and passes the IR through.
// RUN: moefold-opt %s --spmd-print-rank-tables | FileCheck %s

// CHECK-NOT: mesh world
// CHECK-LABEL: func.func @no_mesh
func.func @no_mesh() {
  return
}
