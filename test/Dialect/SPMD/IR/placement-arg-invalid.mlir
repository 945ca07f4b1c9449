// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// verifyPlacementUse, reached through function argument placements.

// A placement on a mesh that does not exist cannot be partitioned.
// expected-error @+1 {{placement refers to unknown mesh @nomesh}}
func.func @negative_placement_arg_unknown_mesh(%x: tensor<8xf32> {spmd.placement = #spmd.placement<@nomesh[dense] {tp = S(0)}>}) {
  return
}

// -----

// A function symbol is not a mesh.
// expected-error @+1 {{placement mesh @negative_placement_arg_not_a_mesh is not an spmd.mesh}}
func.func @negative_placement_arg_not_a_mesh(%x: tensor<8xf32> {spmd.placement = #spmd.placement<@negative_placement_arg_not_a_mesh[dense] {tp = S(0)}>}) {
  return
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// ep lives in the expert view; placing on it through the dense view is wrong.
// expected-error @+1 {{axis 'ep' is not an axis of the dense view of mesh @mesh (axes: dp, tp)}}
func.func @negative_placement_arg_unknown_axis(%x: tensor<8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {ep = S(0)}>}) {
  return
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Sharding a dimension the tensor does not have.
// expected-error @+1 {{shards dimension 2 on axis 'tp' but the tensor 'tensor<8x4xf32>' has rank 2}}
func.func @negative_placement_arg_dim_out_of_range(%x: tensor<8x4xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(2)}>}) {
  return
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// 6 rows over ep = 4 ranks cannot be split evenly.
// expected-error @+1 {{shards dimension 0 of size 6 over ep = 4 ranks, but 6 is not divisible by 4}}
func.func @negative_placement_arg_indivisible(%x: tensor<6x4xf32> {spmd.placement = #spmd.placement<@mesh[expert] {ep = S(0)}>}) {
  return
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Two axes on one dim multiply: 4 divides by tp = 2 and by dp = 4, but not by 8.
// expected-error @+1 {{shards dimension 0 of size 4 over dp*tp = 8 ranks, but 4 is not divisible by 8}}
func.func @negative_placement_arg_two_axes_indivisible(%x: tensor<4xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = S(0)}>}) {
  return
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Only tensors have dimensions to shard.
// expected-error @+1 {{argument 0: 'spmd.placement' needs a ranked tensor argument, got 'f32'}}
func.func @negative_placement_arg_not_tensor(%x: f32 {spmd.placement = #spmd.placement<@mesh[dense] {tp = R}>}) {
  return
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A local type where a global placement is expected mixes up the two stages.
// expected-error @+1 {{argument 0: 'spmd.placement' must be a #spmd.placement attribute, got #spmd.local<@mesh[dense] {tp = V}>}}
func.func @negative_placement_arg_wrong_attr(%x: tensor<4xf32> {spmd.placement = #spmd.local<@mesh[dense] {tp = V}>}) {
  return
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// And the other way round.
// expected-error @+1 {{argument 0: 'spmd.local' must be a #spmd.local attribute, got #spmd.placement<@mesh[dense] {tp = R}>}}
func.func @negative_local_arg_wrong_attr(%x: tensor<4xf32> {spmd.local = #spmd.placement<@mesh[dense] {tp = R}>}) {
  return
}

// -----

// A misspelt attribute name must not be silently ignored.
// expected-error @+1 {{argument 0: unknown spmd argument attribute 'spmd.placment' (expected 'spmd.placement' or 'spmd.local')}}
func.func @negative_placement_arg_unknown_name(%x: tensor<4xf32> {spmd.placment = 1 : i64}) {
  return
}

// -----

// A broken mesh is reported once, at the mesh, never again at each placement
// that uses it (8 rows over tp = 3 would otherwise look indivisible).
// expected-error @+1 {{dense view: stage size 8 is not divisible by tp = 3}}
spmd.mesh @mesh world = 8 dense = [dp, tp = 3] expert = [edp, ep = 4, etp = 1]

func.func @negative_placement_arg_broken_mesh(%x: tensor<8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(0)}>}) {
  return
}
