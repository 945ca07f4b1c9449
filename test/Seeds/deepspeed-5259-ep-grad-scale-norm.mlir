// RUN: moefold-opt %s -split-input-file --spmd-verify-types -verify-diagnostics

// Seed deepspeed-5259 (shared/seeds/deepspeed-5259-ep-grad-scale-norm.txt).
// The bug: expert parameters are sharded over the expert-parallel group and
// replicated only over the expert-data-parallel group, but the optimizer
// reduced their gradients and their share of the global grad-norm over the
// ordinary data-parallel group. A dp group holds ranks that own different
// experts, so the reduction mixed unrelated experts and the norm came out
// off by ep_size (final = avg_dp(dense_norm + expert_norm) instead of
// dense_norm + sum_ep(expert_norm)).
// The types catch it: an expert value is V over ep and typed on the expert
// view; the dp groups of the dense view span both edp and ep ranks, where it
// has different types, so it has no type on dp that a reduction over dp, or
// a sum with a dense-view value, could use.

// world 8 = dp4 x tp2 = edp2 x ep4 (dp group {0,2,4,6} = 2 edp replicas of 2
// different expert shards).
spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Grad-norm: the squared norm of this rank's expert gradients is added to
// the dense one before any reduction over ep.
func.func @negative_deepspeed_5259_norm_mixes_expert_shards(
    // Sum of squares of the dense gradients, already reduced: complete and
    // the same on every rank.
    %sq_dense: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = I, tp = I}>},
    // Sum of squares of this rank's expert gradients: the same on the edp
    // replicas, different on each expert shard.
    %sq_expert: tensor<f32> {spmd.local = #spmd.local<@mesh[expert] {edp = I, ep = V, etp = I}>})
    -> (tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = I, tp = I}>}) {
  // expected-error @+1 {{'moe.add' op operand #1 (%arg1) has no single local type on axis dp of @mesh[dense]: the groups of dp span edp (I), ep (V) of @mesh[expert], where the value has different types; convert it to one type there first}}
  %sq = moe.add %sq_dense, %sq_expert : tensor<f32>
  %norm = spmd.all_reduce %sq over @mesh[dense] [dp] (V -> I) reduction = avg : tensor<f32>
  return %norm : tensor<f32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The expert gradient all-reduced over dp (the group of the dense
// parameters) instead of edp (the group its replicas live in).
func.func @negative_deepspeed_5259_expert_grad_over_dp(
    // This rank's gradient of its expert shard: a pending sum over the edp
    // replicas (each saw other tokens), different on each ep rank.
    %g: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = P, ep = V, etp = R}>})
    -> (tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = I, ep = V}>}) {
  // expected-error @+1 {{'spmd.all_reduce' op operand %arg0 has no local type on axis dp of @mesh[dense]: the groups of dp span edp (P), ep (V) of @mesh[expert], where the value has different types; the op expects src P}}
  %r = spmd.all_reduce %g over @mesh[dense] [dp] (P -> I) reduction = avg : tensor<2x8x16xf32>
  return %r : tensor<2x8x16xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The fix, both halves: expert gradients are summed over edp (the loss is
// normalised by the global token count, so a SUM and no ep_size factor),
// and the expert squared norm is summed over ep, counting every expert once,
// before it joins the dense one.
func.func @deepspeed_5259_fixed(
    %g: tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = P, ep = V, etp = R}>},
    %sq_dense: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = I, tp = I}>},
    %sq_expert: tensor<f32> {spmd.local = #spmd.local<@mesh[expert] {edp = I, ep = V, etp = I}>})
    -> (tensor<2x8x16xf32> {spmd.local = #spmd.local<@mesh[expert] {edp = I, ep = V}>},
        tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = I, tp = I}>}) {
  %r = spmd.all_reduce %g over @mesh[expert] [edp] (P -> I) : tensor<2x8x16xf32>
  %sq_all_experts = spmd.all_reduce %sq_expert over @mesh[expert] [ep] (V -> I) : tensor<f32>
  %sq = moe.add %sq_dense, %sq_all_experts : tensor<f32>
  return %r, %sq : tensor<2x8x16xf32>, tensor<f32>
}
