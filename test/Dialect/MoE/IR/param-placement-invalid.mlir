// RUN: moefold-opt %s -split-input-file -verify-diagnostics

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
// Routed experts live on the expert view (edp x ep x etp), never on dense.
// expected-error @+1 {{'moe.param' op routed_expert parameter must be placed on the 'expert' view, got 'dense'}}
moe.param @negative_placement_expert_on_dense : tensor<8x64x128xf32> family = routed_expert placement = #spmd.placement<@mesh[dense] {tp = S(0)}>

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
// Every other family lives on the dense view (dp x tp).
// expected-error @+1 {{'moe.param' op dense parameter must be placed on the 'dense' view, got 'expert'}}
moe.param @negative_placement_dense_on_expert : tensor<64x64xf32> family = dense placement = #spmd.placement<@mesh[expert] {ep = S(0)}>

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
// Shared experts are dense-view parameters although they are experts.
// expected-error @+1 {{shared_expert parameter must be placed on the 'dense' view, got 'expert'}}
moe.param @negative_placement_shared_on_expert : tensor<64x128xf32> family = shared_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}>

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
// The placement's mesh must resolve (checked by spmd::verifyPlacementUse).
// expected-error @+1 {{placement refers to unknown mesh @other}}
moe.param @negative_placement_unknown_mesh : tensor<64x64xf32> family = dense placement = #spmd.placement<@other[dense] {tp = S(1)}>

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
// A placement is the spmd attribute, not any attribute.
// expected-error @+1 {{invalid kind of attribute specified}}
moe.param @negative_placement_wrong_attr : tensor<64x64xf32> family = dense placement = #moe.family<dense>
