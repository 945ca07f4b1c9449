// RUN: moefold-opt %s -split-input-file --moe-partition -verify-diagnostics

// Under expert parallelism the dispatched rows exist only as exchanged
// per-rank rows: using them outside the dispatch chain is an error.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 1] expert = [edp, ep = 2, etp = 1]
  moe.param @w_gate : tensor<2x8x16xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}>
  func.func @negative_ep_rows_escape(%x: tensor<2x4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0)}>}, %idx: tensor<2x4x1xi32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0)}>}) -> tensor<8x8xf32> {
    %sorted, %sizes = moe.dispatch %x, %idx num_experts = 2 : tensor<2x4x8xf32>, tensor<2x4x1xi32>
    // expected-error @+1 {{'func.return' op uses operand #0, a token-row value of an expert-parallel moe.dispatch / moe.experts / moe.combine chain}}
    return %sorted : tensor<8x8xf32>
  }
}

// -----

// Every ep rank holds the same number of experts.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 1] expert = [edp, ep = 2, etp = 1]
  moe.param @w_gate : tensor<2x8x16xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}>
  func.func @negative_ep_num_experts(%x: tensor<2x4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0)}>}, %idx: tensor<2x4x1xi32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0)}>}) -> tensor<2x4x8xf32> {
    // expected-error @+1 {{'moe.dispatch' op has num_experts = 3, not divisible by ep = 2: expert parallelism gives every ep rank the same number of experts}}
    %sorted, %sizes = moe.dispatch %x, %idx num_experts = 3 : tensor<2x4x8xf32>, tensor<2x4x1xi32>
    return %x : tensor<2x4x8xf32>
  }
}
