// Axis order in a view is the user's: with dense = [tp, dp] the tp axis is
// the slow one, so TP groups become strided (rank = tp * dp_size + dp).
// RUN: moefold-opt %s --spmd-print-rank-tables -o /dev/null | FileCheck %s

module {
  spmd.mesh @tp_outer world = 4 dense = [tp = 2, dp] expert = [edp, ep = 2, etp = 1]
}

// CHECK-LABEL: // mesh @tp_outer
// CHECK: dense.tp groups: {0,2} {1,3}
// CHECK: dense.dp groups: {0,1} {2,3}
// CHECK: rank 1: tp=0 dp=1 | edp=0 ep=1 etp=0
