// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// After moe-partition a state's `type` is its per-rank type, `global_type`
// the global one and `global_placement` the placement it follows (absent
// when replicated).

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// CHECK-LABEL: moe.state @adam_m.lm_head
// CHECK-SAME: : tensor<64x128xf32> {global_placement = #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>, global_type = tensor<64x256xf32>}
// The moment of a vocab-parallel head: split like its parameter.
moe.state @adam_m.lm_head : tensor<64x128xf32> {global_placement = #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>, global_type = tensor<64x256xf32>}

// CHECK-LABEL: moe.state @grad.final_norm
// CHECK-SAME: : tensor<64xf32> {global_type = tensor<64xf32>}
// Replicated: no global_placement, the local type is the global one.
moe.state @grad.final_norm : tensor<64xf32> {global_type = tensor<64xf32>}

// CHECK-LABEL: moe.state @ema.router
// CHECK-SAME: : tensor<64x8xf32> init = ones {global_type = tensor<64x8xf32>}
// The attributes follow init.
moe.state @ema.router : tensor<64x8xf32> init = ones {global_type = tensor<64x8xf32>}
