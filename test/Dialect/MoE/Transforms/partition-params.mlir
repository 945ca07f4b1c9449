// RUN: moefold-opt %s --moe-partition | FileCheck %s

// Declarations get per-rank types. `global_type` keeps the global type, so
// checkpoints and the parameter registry still name global tensors; a state
// follows its parameter's placement (`@adam_m.w` follows `@w`) and records
// it as `global_placement`. Reads of a parameter carry their local SPMD
// type (`spmd.local`), which the type checker needs.

#R = #spmd.placement<@mesh[dense] {}>
#Col = #spmd.placement<@mesh[dense] {tp = S(1)}>

module {
  spmd.mesh @mesh world = 4 dense = [dp, tp = 4] expert = [edp, ep = 1, etp = 1]
  // CHECK: moe.param @w : tensor<8x4xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> {global_type = tensor<8x16xf32>}
  // CHECK: moe.param @n : tensor<8xf32> family = norm {global_type = tensor<8xf32>}
  // CHECK: moe.param @experts : tensor<2x8x16xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}> {global_type = tensor<2x8x16xf32>}
  // CHECK: moe.state @adam_m.w : tensor<8x4xf32> {global_placement = #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>, global_type = tensor<8x16xf32>}
  // CHECK: moe.state @adam_m.n : tensor<8xf32> {global_type = tensor<8xf32>}
  // CHECK: moe.state @ema : tensor<4xf32> {global_type = tensor<4xf32>}
  moe.param @w : tensor<8x16xf32> family = dense placement = #Col
  moe.param @n : tensor<8xf32> family = norm
  moe.param @experts : tensor<2x8x16xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}>
  moe.state @adam_m.w : tensor<8x16xf32>
  moe.state @adam_m.n : tensor<8xf32>
  moe.state @ema : tensor<4xf32>

  // CHECK-LABEL: func.func @params_local_types
  // CHECK-SAME: %[[G:[^:]+]]: tensor<8x4xf32> {moe.global_placement = #spmd.placement<@mesh[dense] {tp = S(1)}>, moe.global_type = tensor<8x16xf32>, spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>}
  func.func @params_local_types(%g: tensor<8x16xf32> {spmd.placement = #Col}) -> tensor<8x16xf32> {
    // CHECK: moe.get_param @w {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>} : tensor<8x4xf32>
    // CHECK: moe.get_param @n {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>} : tensor<8xf32>
    // CHECK: moe.get_param @experts {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>} : tensor<2x8x16xf32>
    // CHECK: %[[M:.*]] = moe.get_state @adam_m.w : tensor<8x4xf32>
    // CHECK: moe.set_state @adam_m.w, %[[G]] : tensor<8x4xf32>
    // CHECK: moe.set_param @w, %[[M]] : tensor<8x4xf32>
    %w = moe.get_param @w {spmd.placements = [#Col]} : tensor<8x16xf32>
    %n = moe.get_param @n {spmd.placements = [#R]} : tensor<8xf32>
    %e = moe.get_param @experts {spmd.placements = [#spmd.placement<@mesh[expert] {}>]} : tensor<2x8x16xf32>
    %m = moe.get_state @adam_m.w {spmd.placements = [#Col]} : tensor<8x16xf32>
    moe.set_state @adam_m.w, %g : tensor<8x16xf32>
    moe.set_param @w, %m : tensor<8x16xf32>
    // A function result without a placement is returned whole.
    // CHECK: %[[WHOLE:.*]] = spmd.all_gather %[[G]] over @mesh[dense] [tp] (V -> R) dim 1 : tensor<8x4xf32> -> tensor<8x16xf32>
    // CHECK: return %[[WHOLE]] : tensor<8x16xf32>
    return %g : tensor<8x16xf32>
  }
}
