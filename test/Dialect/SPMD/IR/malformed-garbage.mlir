// RUN: not moefold-opt %s 2>&1 | FileCheck %s

// Stray tokens after a complete mesh are reported where they start.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1] %%% garbage
// CHECK: malformed-garbage.mlir:5:80: error: invalid SSA name
