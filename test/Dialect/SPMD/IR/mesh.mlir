// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// Meshes round-trip in the form they were written: derived axes without a
// size, fixed axes with theirs, axes in the order listed.

// The reference layout: world 8 = dp4 x tp2 = edp2 x ep4 x etp1.
// CHECK: spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Cross-lane EP with no data parallelism: EP spans all TP lanes.
// CHECK: spmd.mesh @mesh_w4 world = 4 dense = [dp, tp = 4] expert = [edp, ep = 4, etp = 1]
spmd.mesh @mesh_w4 world = 4 dense = [dp, tp = 4] expert = [edp, ep = 4, etp = 1]

// A non-power-of-two world where tp and ep differ.
// CHECK: spmd.mesh @mesh_w6 world = 6 dense = [dp, tp = 3] expert = [edp, ep = 2, etp = 1]
spmd.mesh @mesh_w6 world = 6 dense = [dp, tp = 3] expert = [edp, ep = 2, etp = 1]

// Expert tensor parallelism, etp = tp: world 8 = dp4 x tp2 = edp2 x ep2 x etp2.
// CHECK: spmd.mesh @mesh_etp world = 8 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 2]
spmd.mesh @mesh_etp world = 8 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 2]

// The single-rank reference every parity test compares against.
// CHECK: spmd.mesh @mesh_w1 world = 1 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
spmd.mesh @mesh_w1 world = 1 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]

// Axis order is free and is kept (it fixes which axis is fastest).
// CHECK: spmd.mesh @mesh_order world = 8 dense = [tp = 2, dp] expert = [ep = 4, etp = 1, edp]
spmd.mesh @mesh_order world = 8 dense = [tp = 2, dp] expert = [ep = 4, etp = 1, edp]

// Pure data parallelism: the fixed axes are all 1.
// CHECK: spmd.mesh @mesh_dp world = 16 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
spmd.mesh @mesh_dp world = 16 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
