// RUN: moefold-opt %s -split-input-file --allow-unregistered-dialect --moe-propagate-placements -verify-diagnostics

// Propagation needs a mesh.
// expected-error @+1 {{moe-propagate-placements: the module has no spmd.mesh}}
module {
  func.func @negative_propagate_placements_no_mesh(%x: tensor<4xf32>) -> tensor<4xf32> {
    %y = moe.add %x, %x : tensor<4xf32>
    return %y : tensor<4xf32>
  }
}

// -----

// Several meshes and no `mesh` option: which one is meant is ambiguous.
// expected-error @+1 {{moe-propagate-placements: the module has 2 spmd.mesh ops; choose one with mesh=<name>}}
module {
  spmd.mesh @a world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
  spmd.mesh @b world = 4 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
}

// -----

// The batch of the example model (2) cannot be split over dp = 4: the seed
// is an error, not a silent replication.
spmd.mesh @mesh world = 4 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
// expected-error @+1 {{cannot shard argument #0 of @negative_propagate_placements_batch over dp = 4: its batch dim 0 of size 2 is not divisible by 4 (annotate the argument with spmd.placement, or change the batch or the mesh)}}
func.func @negative_propagate_placements_batch(%tokens: tensor<2x16xi32>) -> tensor<2x16xi32> {
  %f = moe.fill 0.0 : tensor<4xf32>
  return %tokens : tensor<2x16xi32>
}

// -----

// An op without a sharding rule stops propagation: its results would have
// no placement.
spmd.mesh @mesh world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
func.func @negative_propagate_placements_unknown_op(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = moe.add %x, %x : tensor<4xf32>
  // expected-error @+1 {{'foo.bar' has no sharding rule}}
  %z = "foo.bar"(%y) : (tensor<4xf32>) -> tensor<4xf32>
  return %z : tensor<4xf32>
}

// -----

// Straight-line programs only.
spmd.mesh @mesh world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
// expected-error @+1 {{control flow (2 blocks) is not supported: cannot propagate placements through @negative_propagate_placements_blocks}}
func.func @negative_propagate_placements_blocks(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = moe.add %x, %x : tensor<4xf32>
  return %y : tensor<4xf32>
^bb1:
  %z = moe.fill 0.0 : tensor<4xf32>
  return %z : tensor<4xf32>
}

// -----

// GQA with 2 kv heads cannot be split over 4 ranks in whole heads, although
// the 4 query heads can (the column-parallel k projection itself is fine).
spmd.mesh @mesh world = 4 dense = [dp, tp = 4] expert = [edp, ep = 1, etp = 1]
moe.param @wq : tensor<64x64xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
moe.param @wk : tensor<64x32xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
func.func @negative_propagate_placements_kv_heads(%x: tensor<1x4x64xf32>) -> tensor<1x4x64xf32> {
  %wq = moe.get_param @wq : tensor<64x64xf32>
  %wk = moe.get_param @wk : tensor<64x32xf32>
  %q = moe.linear %x, %wq : tensor<1x4x64xf32>, tensor<64x64xf32>
  %k = moe.linear %x, %wk : tensor<1x4x64xf32>, tensor<64x32xf32>
  // expected-error @+1 {{cannot shard moe.attention k/v heads over tp = 4: num_kv_heads = 2 is not divisible by 4}}
  %a = moe.attention %q, %k, %k num_heads = 4 num_kv_heads = 2 causal : tensor<1x4x64xf32>, tensor<1x4x32xf32>, tensor<1x4x32xf32>
  return %a : tensor<1x4x64xf32>
}

// -----

// Two query heads cannot be split over 4 ranks.
spmd.mesh @mesh world = 4 dense = [dp, tp = 4] expert = [edp, ep = 1, etp = 1]
moe.param @wq : tensor<32x32xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
func.func @negative_propagate_placements_q_heads(%x: tensor<1x4x32xf32>) -> tensor<1x4x32xf32> {
  %wq = moe.get_param @wq : tensor<32x32xf32>
  %q = moe.linear %x, %wq : tensor<1x4x32xf32>, tensor<32x32xf32>
  // expected-error @+1 {{cannot shard moe.attention q heads over tp = 4: num_heads = 2 is not divisible by 4}}
  %a = moe.attention %q, %q, %q num_heads = 2 num_kv_heads = 2 : tensor<1x4x32xf32>, tensor<1x4x32xf32>, tensor<1x4x32xf32>
  return %a : tensor<1x4x32xf32>
}

// -----

// Operands that shard the same factor over different axes combine into a
// sharding over both, which must divide the dim.
spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
func.func @negative_propagate_placements_divisible(
    %x: tensor<4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0)}>},
    %y: tensor<4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(0)}>}) -> tensor<4x8xf32> {
  // expected-error @+1 {{cannot shard moe.add operand #0 dim 0 of size 4 over dp*tp = 8: 4 is not divisible by 8}}
  %z = moe.add %x, %y : tensor<4x8xf32>
  return %z : tensor<4x8xf32>
}

// -----

// Sorted rows are tokens-major (b, then s): with b over tp and s over dp the
// row blocks would nest tp outside dp, against the view order.
spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
func.func @negative_propagate_placements_nesting(
    %x: tensor<4x4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(1), tp = S(0)}>},
    %indices: tensor<4x4x2xi32>) -> tensor<32x8xf32> {
  // expected-error @+1 {{cannot shard moe.dispatch result #0 dim 0 over tp*dp: its factors would nest the axes against the view order}}
  %sorted, %sizes = moe.dispatch %x, %indices num_experts = 4 : tensor<4x4x8xf32>, tensor<4x4x2xi32>
  return %sorted : tensor<32x8xf32>
}

// -----

// A conflict: the column-parallel output shards the contracted dim of the
// next linear over tp, but that weight is declared S(1) over tp (its output
// dim). Resharding a declared parameter every step is not silently done.
spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
moe.param @w1 : tensor<8x8xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
// expected-note @+1 {{operand #1 reads @w2, declared [dp=R, tp=S(1)] here}}
moe.param @w2 : tensor<8x8xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
func.func @negative_propagate_placements_conflict(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %w1 = moe.get_param @w1 : tensor<8x8xf32>
  %w2 = moe.get_param @w2 : tensor<8x8xf32>
  // expected-note @+1 {{operand #0 is [dp=S(0), tp=S(1)], produced here}}
  %a = moe.linear %x, %w1 : tensor<4x8xf32>, tensor<8x8xf32>
  // expected-error @+1 {{placement conflict in moe.linear on tp: operand #1 is declared S(1) (factor 'n'), but operand #0 is S(1) there (factor 'k')}}
  %b = moe.linear %a, %w2 : tensor<4x8xf32>, tensor<8x8xf32>
  return %b : tensor<4x8xf32>
}

// -----

// The same conflict against an annotated argument: the note points at the
// argument.
spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
// expected-note @+1 {{operand #1 reads @w, declared [dp=R, tp=S(1)] here}}
moe.param @w : tensor<8x8xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
func.func @negative_propagate_placements_conflict_arg(
    // expected-note @+1 {{operand #0 is argument #0, placed [dp=R, tp=S(0)] by its annotation}}
    %x: tensor<4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(0)}>}) -> tensor<4x8xf32> {
  %w = moe.get_param @w : tensor<8x8xf32>
  // expected-error @+1 {{placement conflict in moe.linear on tp: operand #1 is declared S(1) (factor 'n'), but operand #0 is S(0) there (factor 't')}}
  %b = moe.linear %x, %w : tensor<4x8xf32>, tensor<8x8xf32>
  return %b : tensor<4x8xf32>
}

// -----

// Routed-expert values live on the expert view; adding a dense-view sharded
// value to one mixes the views.
spmd.mesh @mesh world = 4 dense = [dp, tp = 1] expert = [edp, ep = 2, etp = 1]
moe.param @experts : tensor<4x8x8xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}>
func.func @negative_propagate_placements_views(%x: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  %w = moe.get_param @experts : tensor<4x8x8xf32>
  // expected-error @+1 {{operand #1 of moe.add is placed on the dense view as [dp=S(0), tp=R], but the op needs it on the expert view}}
  %y = moe.add %w, %x : tensor<4x8x8xf32>
  return %y : tensor<4x8x8xf32>
}
