// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// A mesh with no ranks cannot run anything.
// expected-error @+1 {{world size must be positive, got 0}}
spmd.mesh @negative_mesh_world_zero world = 0 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]

// -----

// Negative sizes must not slip through as "derived" or wrap around.
// expected-error @+1 {{world size must be positive, got -8}}
spmd.mesh @negative_mesh_world_negative world = -8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// -----

// tp = 0 would divide by zero when deriving dp.
// expected-error @+1 {{axis 'tp' has size 0; axis sizes must be positive}}
spmd.mesh @negative_mesh_tp_zero world = 8 dense = [dp, tp = 0] expert = [edp, ep = 4, etp = 1]

// -----

// A negative ep must be rejected, not folded into a derived edp.
// expected-error @+1 {{axis 'ep' has size -4; axis sizes must be positive}}
spmd.mesh @negative_mesh_ep_negative world = 8 dense = [dp, tp = 2] expert = [edp, ep = -4, etp = 1]

// -----

// etp = 0 is a size error, reported before the etp support check.
// expected-error @+1 {{axis 'etp' has size 0; axis sizes must be positive}}
spmd.mesh @negative_mesh_etp_zero world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 0]

// -----

// dp is derived; a user-given size could contradict world/tp.
// expected-error @+1 {{'dp' is derived from world/tp and must not be given a size (got 4)}}
spmd.mesh @negative_mesh_dp_sized world = 8 dense = [dp = 4, tp = 2] expert = [edp, ep = 4, etp = 1]

// -----

// edp is derived the same way in the expert view.
// expected-error @+1 {{'edp' is derived from world/(ep*etp) and must not be given a size (got 2)}}
spmd.mesh @negative_mesh_edp_sized world = 8 dense = [dp, tp = 2] expert = [edp = 2, ep = 4, etp = 1]

// -----

// A fixed axis without a size would silently become a second derived axis.
// expected-error @+1 {{axis 'tp' of the dense view needs a size, e.g. 'tp = 2'}}
spmd.mesh @negative_mesh_tp_unsized world = 8 dense = [dp, tp] expert = [edp, ep = 4, etp = 1]

// -----

// Expert axes belong to the expert view only.
// expected-error @+1 {{unknown axis 'ep' in the dense view (expected dp, tp)}}
spmd.mesh @negative_mesh_dense_unknown_axis world = 8 dense = [dp, tp = 2, ep = 4] expert = [edp, ep = 4, etp = 1]

// -----

// Dense axes belong to the dense view only.
// expected-error @+1 {{unknown axis 'tp' in the expert view (expected edp, ep, etp)}}
spmd.mesh @negative_mesh_expert_unknown_axis world = 8 dense = [dp, tp = 2] expert = [edp, tp = 4, etp = 1]

// -----

// An axis listed twice would make the factorisation ambiguous.
// expected-error @+1 {{axis 'tp' is listed more than once in the dense view}}
spmd.mesh @negative_mesh_duplicate_axis world = 8 dense = [dp, tp = 2, tp = 2] expert = [edp, ep = 4, etp = 1]

// -----

// Every view lists all of its axes, so no axis is implicitly 1.
// expected-error @+1 {{expert view is missing axis 'etp' (expected edp, ep, etp, each exactly once)}}
spmd.mesh @negative_mesh_missing_axis world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4]

// -----

// Dropping the derived axis is an error too: its position fixes the layout.
// expected-error @+1 {{dense view is missing axis 'dp' (expected dp, tp, each exactly once)}}
spmd.mesh @negative_mesh_missing_derived world = 8 dense = [tp = 2] expert = [edp, ep = 4, etp = 1]

// -----

// tp must divide the world, else dp is not an integer.
// expected-error @+1 {{dense view: stage size 8 is not divisible by tp = 3}}
spmd.mesh @negative_mesh_dense_indivisible world = 8 dense = [dp, tp = 3] expert = [edp, ep = 4, etp = 1]

// -----

// ep*etp must divide the stage, else edp is not an integer.
// expected-error @+1 {{expert view: stage size 8 is not divisible by ep*etp = 3*1 = 3}}
spmd.mesh @negative_mesh_expert_indivisible world = 8 dense = [dp, tp = 2] expert = [edp, ep = 3, etp = 1]

// -----

// Expert tensor parallelism shares the tp groups: etp must be 1 or tp, even
// where the arithmetic works out (8 = 1 x 2 x 4).
// expected-error @+1 {{etp = 4 must be 1 or tp = 2 (expert tensor parallelism splits each expert over the tp groups)}}
spmd.mesh @negative_mesh_etp_not_tp world = 8 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 4]

// -----

// Only the generic form can desynchronise names and sizes; still no crash.
// expected-error @+1 {{dense view lists 2 axes but 1 sizes}}
"spmd.mesh"() <{dense_axes = ["dp", "tp"], dense_sizes = array<i64: 2>, expert_axes = ["edp", "ep", "etp"], expert_sizes = array<i64: -9223372036854775808, 4, 1>, sym_name = "negative_mesh_sizes_mismatch", world = 8 : i64}> : () -> ()

// -----

// Meshes are module-level symbols that collectives look up.
func.func @negative_mesh_in_func() {
  // expected-error @+1 {{expects parent op 'builtin.module'}}
  spmd.mesh @inner world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
  return
}
