// RUN: moefold-opt %s -split-input-file -verify-diagnostics

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
// The local type must be the placement's local shape of the global type.
// expected-error @+1 {{'moe.state' op type 'tensor<64x256xf32>' is not the local shape of global_type 'tensor<64x256xf32>' placed #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>, which is 'tensor<64x128xf32>'}}
moe.state @negative_state_not_sliced : tensor<64x256xf32> {global_placement = #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>, global_type = tensor<64x256xf32>}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
// No global_placement: replicated, so the local type is the global one.
// expected-error @+1 {{'moe.state' op type 'tensor<64x128xf32>' is not the local shape of global_type 'tensor<64x256xf32>' (replicated: no placement), which is 'tensor<64x256xf32>'}}
moe.state @negative_state_replicated : tensor<64x128xf32> {global_type = tensor<64x256xf32>}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
// A placement describes a global tensor: it needs the global type.
// expected-error @+1 {{'moe.state' op has a global_placement but no global_type: the placement describes the global tensor}}
moe.state @negative_state_placement_only : tensor<64x128xf32> {global_placement = #spmd.placement<@mesh[dense] {tp = S(1)}>}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
// The placement is checked against the global type like a parameter's.
// expected-error @+1 {{placement #spmd.placement<@mesh[dense] {tp = S(2)}> shards dimension 2 on axis 'tp' but the tensor 'tensor<64x256xf32>' has rank 2}}
moe.state @negative_state_placement_rank : tensor<64x128xf32> {global_placement = #spmd.placement<@mesh[dense] {tp = S(2)}>, global_type = tensor<64x256xf32>}

// -----

// The global type has the local type's element type and rank.
// expected-error @+1 {{'moe.state' op global_type must be a statically shaped tensor of the element type and rank of the local type 'tensor<64xf32>', got 'tensor<64xbf16>'}}
moe.state @negative_state_element : tensor<64xf32> {global_type = tensor<64xbf16>}
