// RUN: not moefold-opt %s -split-input-file --moe-propagate-placements="mesh=@nope" 2>&1 | FileCheck %s --check-prefix=MESH
// RUN: not moefold-opt %s -split-input-file --moe-propagate-placements="mesh=@a batch-axis=ep" 2>&1 | FileCheck %s --check-prefix=AXIS
// RUN: not moefold-opt %s -split-input-file --moe-propagate-placements="mesh=@a" 2>&1 | FileCheck %s --check-prefix=OTHER

// Options that name nothing, and placements on a mesh other than the one
// propagation runs on. The diagnostics depend on the options, so they are
// checked on stderr, one prefix per RUN line.

// MESH: error: moe-propagate-placements: mesh=nope names no spmd.mesh of the module
// The batch is sharded over a dense-view axis; ep is an expert-view axis.
// AXIS: error: moe-propagate-placements: batch-axis 'ep' is not an axis of the dense view of @a (dp, tp)
module {
  spmd.mesh @a world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
  spmd.mesh @b world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  // A parameter placed on @b cannot take part in a propagation on @a.
  // OTHER: [[@LINE+1]]:3: error: 'moe.param' op placement #spmd.placement<@b[dense] {tp = S(1)}> is on mesh @b, but placements are propagated on @a
  moe.param @w : tensor<8x8xf32> family = dense placement = #spmd.placement<@b[dense] {tp = S(1)}>
  func.func @negative_propagate_placements_other_mesh(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %w = moe.get_param @w : tensor<8x8xf32>
    %y = moe.linear %x, %w : tensor<4x8xf32>, tensor<8x8xf32>
    return %y : tensor<4x8xf32>
  }
}

// -----

module {
  spmd.mesh @a world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
  spmd.mesh @b world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  // An argument annotated on another mesh.
  // OTHER: [[@LINE+1]]:3: error: argument #0: placement #spmd.placement<@b[dense] {tp = S(1)}> is on mesh @b, but placements are propagated on @a
  func.func @negative_propagate_placements_other_mesh_arg(%x: tensor<4x8xf32> {spmd.placement = #spmd.placement<@b[dense] {tp = S(1)}>}) -> tensor<4x8xf32> {
    %y = moe.add %x, %x : tensor<4x8xf32>
    return %y : tensor<4x8xf32>
  }
}
