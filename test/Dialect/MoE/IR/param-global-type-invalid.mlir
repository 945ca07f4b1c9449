// RUN: moefold-opt %s -split-input-file -verify-diagnostics

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
// The local type must be the placement's local shape of the global type: a
// partitioned weight that kept its global shape.
// expected-error @+1 {{'moe.param' op type 'tensor<64x64xf32>' is not the local shape of global_type 'tensor<64x64xf32>' placed #spmd.placement<@mesh[dense] {tp = S(1)}>, which is 'tensor<64x32xf32>'}}
moe.param @negative_global_type_not_sliced : tensor<64x64xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> {global_type = tensor<64x64xf32>}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
// Without a placement the parameter is replicated: local and global agree.
// expected-error @+1 {{'moe.param' op type 'tensor<32xf32>' is not the local shape of global_type 'tensor<64xf32>' (replicated: no placement), which is 'tensor<64xf32>'}}
moe.param @negative_global_type_replicated : tensor<32xf32> family = norm {global_type = tensor<64xf32>}

// -----

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
// With global_type, the placement's divisibility is checked on the global
// shape (3 rows do not split over tp = 2).
// expected-error @+1 {{placement #spmd.placement<@mesh[dense] {tp = S(0)}> shards dimension 0 of size 3 over tp = 2 ranks, but 3 is not divisible by 2}}
moe.param @negative_global_type_indivisible : tensor<2x8xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(0)}> {global_type = tensor<3x8xf32>}

// -----

// The global type has the local type's element type and rank.
// expected-error @+1 {{'moe.param' op global_type must be a statically shaped tensor of the element type and rank of the local type 'tensor<64xf32>', got 'tensor<64xf16>'}}
moe.param @negative_global_type_element : tensor<64xf32> family = norm {global_type = tensor<64xf16>}

// -----

// expected-error @+1 {{'moe.param' op global_type must be a statically shaped tensor of the element type and rank of the local type 'tensor<64xf32>', got 'tensor<2x32xf32>'}}
moe.param @negative_global_type_rank : tensor<64xf32> family = norm {global_type = tensor<2x32xf32>}
