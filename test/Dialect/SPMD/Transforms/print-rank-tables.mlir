// The rank and group tables of the five reference meshes. Every expected
// group below is derived by hand from "last axis fastest":
// dense rank = dp * tp_size + tp, expert rank = edp * ep_size + ep (etp = 1).
// RUN: moefold-opt %s --spmd-print-rank-tables -o /dev/null | FileCheck %s

module {
  // Folded TP and EP, EP spanning two TP lanes and two DP ranks.
  spmd.mesh @w8_tp2_ep4 world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
  // Pure cross-lane EP: one EP group covers all four TP lanes.
  spmd.mesh @w4_tp4_ep4 world = 4 dense = [dp, tp = 4] expert = [edp, ep = 4, etp = 1]
  // EP wider than TP inside one stage.
  spmd.mesh @w4_tp2_ep4 world = 4 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
  // EP equal to TP, replicated twice over DP.
  spmd.mesh @w8_tp4_ep4 world = 8 dense = [dp, tp = 4] expert = [edp, ep = 4, etp = 1]
  // Non-power-of-two sizes: EP groups do not line up with TP groups.
  spmd.mesh @w6_tp3_ep2 world = 6 dense = [dp, tp = 3] expert = [edp, ep = 2, etp = 1]
}

// CHECK-LABEL: // mesh @w8_tp2_ep4
// CHECK-NEXT: mesh world=8 dense=[dp=4, tp=2] expert=[edp=2, ep=4, etp=1]
// CHECK-NEXT: dense.dp groups: {0,2,4,6} {1,3,5,7}
// CHECK-NEXT: dense.tp groups: {0,1} {2,3} {4,5} {6,7}
// CHECK-NEXT: expert.edp groups: {0,4} {1,5} {2,6} {3,7}
// CHECK-NEXT: expert.ep groups: {0,1,2,3} {4,5,6,7}
// CHECK-NEXT: expert.etp groups: {0} {1} {2} {3} {4} {5} {6} {7}
// CHECK-NEXT: rank 0: dp=0 tp=0 | edp=0 ep=0 etp=0
// CHECK-NEXT: rank 1: dp=0 tp=1 | edp=0 ep=1 etp=0
// CHECK-NEXT: rank 2: dp=1 tp=0 | edp=0 ep=2 etp=0
// CHECK-NEXT: rank 3: dp=1 tp=1 | edp=0 ep=3 etp=0
// CHECK-NEXT: rank 4: dp=2 tp=0 | edp=1 ep=0 etp=0
// CHECK-NEXT: rank 5: dp=2 tp=1 | edp=1 ep=1 etp=0
// CHECK-NEXT: rank 6: dp=3 tp=0 | edp=1 ep=2 etp=0
// CHECK-NEXT: rank 7: dp=3 tp=1 | edp=1 ep=3 etp=0

// CHECK-LABEL: // mesh @w4_tp4_ep4
// CHECK-NEXT: mesh world=4 dense=[dp=1, tp=4] expert=[edp=1, ep=4, etp=1]
// CHECK-NEXT: dense.dp groups: {0} {1} {2} {3}
// CHECK-NEXT: dense.tp groups: {0,1,2,3}
// CHECK-NEXT: expert.edp groups: {0} {1} {2} {3}
// CHECK-NEXT: expert.ep groups: {0,1,2,3}
// CHECK-NEXT: expert.etp groups: {0} {1} {2} {3}
// CHECK-NEXT: rank 0: dp=0 tp=0 | edp=0 ep=0 etp=0
// CHECK-NEXT: rank 1: dp=0 tp=1 | edp=0 ep=1 etp=0
// CHECK-NEXT: rank 2: dp=0 tp=2 | edp=0 ep=2 etp=0
// CHECK-NEXT: rank 3: dp=0 tp=3 | edp=0 ep=3 etp=0

// CHECK-LABEL: // mesh @w4_tp2_ep4
// CHECK-NEXT: mesh world=4 dense=[dp=2, tp=2] expert=[edp=1, ep=4, etp=1]
// CHECK-NEXT: dense.dp groups: {0,2} {1,3}
// CHECK-NEXT: dense.tp groups: {0,1} {2,3}
// CHECK-NEXT: expert.edp groups: {0} {1} {2} {3}
// CHECK-NEXT: expert.ep groups: {0,1,2,3}
// CHECK-NEXT: expert.etp groups: {0} {1} {2} {3}
// CHECK-NEXT: rank 0: dp=0 tp=0 | edp=0 ep=0 etp=0
// CHECK-NEXT: rank 1: dp=0 tp=1 | edp=0 ep=1 etp=0
// CHECK-NEXT: rank 2: dp=1 tp=0 | edp=0 ep=2 etp=0
// CHECK-NEXT: rank 3: dp=1 tp=1 | edp=0 ep=3 etp=0

// CHECK-LABEL: // mesh @w8_tp4_ep4
// CHECK-NEXT: mesh world=8 dense=[dp=2, tp=4] expert=[edp=2, ep=4, etp=1]
// CHECK-NEXT: dense.dp groups: {0,4} {1,5} {2,6} {3,7}
// CHECK-NEXT: dense.tp groups: {0,1,2,3} {4,5,6,7}
// CHECK-NEXT: expert.edp groups: {0,4} {1,5} {2,6} {3,7}
// CHECK-NEXT: expert.ep groups: {0,1,2,3} {4,5,6,7}
// CHECK-NEXT: expert.etp groups: {0} {1} {2} {3} {4} {5} {6} {7}
// CHECK:      rank 5: dp=1 tp=1 | edp=1 ep=1 etp=0

// CHECK-LABEL: // mesh @w6_tp3_ep2
// CHECK-NEXT: mesh world=6 dense=[dp=2, tp=3] expert=[edp=3, ep=2, etp=1]
// CHECK-NEXT: dense.dp groups: {0,3} {1,4} {2,5}
// CHECK-NEXT: dense.tp groups: {0,1,2} {3,4,5}
// CHECK-NEXT: expert.edp groups: {0,2,4} {1,3,5}
// CHECK-NEXT: expert.ep groups: {0,1} {2,3} {4,5}
// CHECK-NEXT: expert.etp groups: {0} {1} {2} {3} {4} {5}
// CHECK-NEXT: rank 0: dp=0 tp=0 | edp=0 ep=0 etp=0
// CHECK-NEXT: rank 1: dp=0 tp=1 | edp=0 ep=1 etp=0
// CHECK-NEXT: rank 2: dp=0 tp=2 | edp=1 ep=0 etp=0
// CHECK-NEXT: rank 3: dp=1 tp=0 | edp=1 ep=1 etp=0
// CHECK-NEXT: rank 4: dp=1 tp=1 | edp=2 ep=0 etp=0
// CHECK-NEXT: rank 5: dp=1 tp=2 | edp=2 ep=1 etp=0
