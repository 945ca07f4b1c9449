// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// moe.param declares module-level parameters with a family, an optional
// placement and an optional init spec.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: moe.param @layers.0.attn.wq
// CHECK-SAME: : tensor<64x64xf32> family = dense
// CHECK-SAME: placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
// CHECK-SAME: init = normal(2.000000e-02)
// Dotted names are plain symbols; the placement is printed in full.
moe.param @layers.0.attn.wq : tensor<64x64xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = normal(0.02)

// CHECK-LABEL: moe.param @layers.0.attn.wo
// CHECK-SAME: family = dense placement = #spmd.placement<@mesh[dense] {tp = S(0)}>{{$}}
// Without init the family default applies and nothing is printed.
moe.param @layers.0.attn.wo : tensor<64x64xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(0)}>

// CHECK-LABEL: moe.param @final_norm
// CHECK-SAME: : tensor<64xf32> family = norm{{$}}
// Without a placement the parameter is replicated everywhere.
moe.param @final_norm : tensor<64xf32> family = norm

// CHECK-LABEL: moe.param @embed
// CHECK-SAME: family = embedding init = truncated_normal(1.000000e+00)
moe.param @embed : tensor<256x64xf32> family = embedding init = truncated_normal(1.0)

// CHECK-LABEL: moe.param @layers.0.moe.router
// CHECK-SAME: family = router init = zeros
moe.param @layers.0.moe.router : tensor<64x8xf32> family = router init = zeros

// CHECK-LABEL: moe.param @layers.0.moe.bias
// CHECK-SAME: family = dense init = constant(-5.000000e-01)
// A negative constant is a valid init.
moe.param @layers.0.moe.bias : tensor<8xf32> family = dense init = constant(-0.5)

// CHECK-LABEL: moe.param @layers.0.moe.w_gate
// CHECK-SAME: : tensor<8x64x128xbf16> family = routed_expert
// CHECK-SAME: placement = #spmd.placement<@mesh[expert] {ep = S(0)}>
// CHECK-SAME: init = uniform(1.000000e-01)
// Routed experts are placed on the expert view.
moe.param @layers.0.moe.w_gate : tensor<8x64x128xbf16> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}> init = uniform(0.1)

// CHECK-LABEL: moe.param @layers.0.shared.w_up
// CHECK-SAME: : tensor<64x128xf16> family = shared_expert
// CHECK-SAME: placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = ones
moe.param @layers.0.shared.w_up : tensor<64x128xf16> family = shared_expert placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = ones

// CHECK-LABEL: moe.param @f64_param
// CHECK-SAME: : tensor<4x4xf64> family = dense {tag = "x"}
// Extra attributes go in the trailing attribute dictionary.
moe.param @f64_param : tensor<4x4xf64> family = dense {tag = "x"}
