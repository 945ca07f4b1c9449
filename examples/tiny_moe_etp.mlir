// tiny_moe_etp.mlir - examples/tiny_moe.mlir with expert tensor parallelism
// (ETP = TP): each routed expert is split over etp = tp on its hidden units
// F = 128, w_gate/w_up [E, H, F] by columns (etp = S(2)) and w_down [E, F, H]
// by rows (etp = S(1)), besides by expert over ep (S(0)). The etp groups are
// the tp groups: the tp lanes, which hold the same tokens, each run their F
// slice of every local expert, and the expert output is a pending sum over tp
// (docs/partition.md, "Expert tensor parallelism"). Everything else as in
// tiny_moe.mlir.
//
// Mesh: 8 ranks. Dense view dp x tp = 4 x 2; expert view edp x ep x etp =
// 2 x 2 x 2.
//
//   moefold-opt examples/tiny_moe_etp.mlir
//
module {
  spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 2]

  // Token embedding, vocab-parallel on tp.
  moe.param @embed : tensor<256x64xf32> family = embedding placement = #spmd.placement<@mesh[dense] {tp = S(0)}> init = normal(0.02)

  // Layer 0: attention.
  moe.param @layers.0.attn_norm : tensor<64xf32> family = norm init = ones
  moe.param @layers.0.attn.wq : tensor<64x64xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = normal(0.02)
  moe.param @layers.0.attn.wk : tensor<64x32xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = normal(0.02)
  moe.param @layers.0.attn.wv : tensor<64x32xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = normal(0.02)
  moe.param @layers.0.attn.wo : tensor<64x64xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(0)}> init = normal(0.01)
  // Layer 0: MoE block.
  moe.param @layers.0.moe_norm : tensor<64xf32> family = norm init = ones
  moe.param @layers.0.moe.router : tensor<64x8xf32> family = router init = normal(0.02)
  moe.param @layers.0.moe.w_gate : tensor<8x64x128xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0), etp = S(2)}> init = normal(0.02)
  moe.param @layers.0.moe.w_up : tensor<8x64x128xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0), etp = S(2)}> init = normal(0.02)
  moe.param @layers.0.moe.w_down : tensor<8x128x64xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0), etp = S(1)}> init = normal(0.01)
  moe.param @layers.0.shared.w_gate : tensor<64x128xf32> family = shared_expert placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = normal(0.02)
  moe.param @layers.0.shared.w_up : tensor<64x128xf32> family = shared_expert placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = normal(0.02)
  moe.param @layers.0.shared.w_down : tensor<128x64xf32> family = shared_expert placement = #spmd.placement<@mesh[dense] {tp = S(0)}> init = normal(0.01)

  // Layer 1: attention.
  moe.param @layers.1.attn_norm : tensor<64xf32> family = norm init = ones
  moe.param @layers.1.attn.wq : tensor<64x64xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = normal(0.02)
  moe.param @layers.1.attn.wk : tensor<64x32xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = normal(0.02)
  moe.param @layers.1.attn.wv : tensor<64x32xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = normal(0.02)
  moe.param @layers.1.attn.wo : tensor<64x64xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(0)}> init = normal(0.01)
  // Layer 1: MoE block.
  moe.param @layers.1.moe_norm : tensor<64xf32> family = norm init = ones
  moe.param @layers.1.moe.router : tensor<64x8xf32> family = router init = normal(0.02)
  moe.param @layers.1.moe.w_gate : tensor<8x64x128xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0), etp = S(2)}> init = normal(0.02)
  moe.param @layers.1.moe.w_up : tensor<8x64x128xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0), etp = S(2)}> init = normal(0.02)
  moe.param @layers.1.moe.w_down : tensor<8x128x64xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0), etp = S(1)}> init = normal(0.01)
  moe.param @layers.1.shared.w_gate : tensor<64x128xf32> family = shared_expert placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = normal(0.02)
  moe.param @layers.1.shared.w_up : tensor<64x128xf32> family = shared_expert placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = normal(0.02)
  moe.param @layers.1.shared.w_down : tensor<128x64xf32> family = shared_expert placement = #spmd.placement<@mesh[dense] {tp = S(0)}> init = normal(0.01)

  // Final norm and LM head (vocab-parallel on tp).
  moe.param @final_norm : tensor<64xf32> family = norm init = ones
  moe.param @lm_head : tensor<64x256xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = normal(0.02)

  // One training step's forward pass; the marked result is the loss.
  func.func @train_step(%tokens: tensor<8x16xi32>, %targets: tensor<8x16xi32>) -> (tensor<f32> {moe.loss}) {
    %embed = moe.get_param @embed : tensor<256x64xf32>
    %h0 = moe.embedding %embed, %tokens : tensor<256x64xf32>, tensor<8x16xi32>

    // ---- layer 0: h = h + attention(rms_norm(h)) ----
    %l0_attn_norm = moe.get_param @layers.0.attn_norm : tensor<64xf32>
    %l0_x = moe.rms_norm %h0, %l0_attn_norm epsilon = 1.0e-05 : tensor<8x16x64xf32>, tensor<64xf32>
    %l0_wq = moe.get_param @layers.0.attn.wq : tensor<64x64xf32>
    %l0_wk = moe.get_param @layers.0.attn.wk : tensor<64x32xf32>
    %l0_wv = moe.get_param @layers.0.attn.wv : tensor<64x32xf32>
    %l0_wo = moe.get_param @layers.0.attn.wo : tensor<64x64xf32>
    %l0_q = moe.linear %l0_x, %l0_wq : tensor<8x16x64xf32>, tensor<64x64xf32>
    %l0_k = moe.linear %l0_x, %l0_wk : tensor<8x16x64xf32>, tensor<64x32xf32>
    %l0_v = moe.linear %l0_x, %l0_wv : tensor<8x16x64xf32>, tensor<64x32xf32>
    %l0_attn = moe.attention %l0_q, %l0_k, %l0_v num_heads = 8 num_kv_heads = 4 causal : tensor<8x16x64xf32>, tensor<8x16x32xf32>, tensor<8x16x32xf32>
    %l0_attn_out = moe.linear %l0_attn, %l0_wo : tensor<8x16x64xf32>, tensor<64x64xf32>
    %l0_h1 = moe.add %h0, %l0_attn_out : tensor<8x16x64xf32>

    // ---- layer 0: h = h + routed_experts(y) + shared_expert(y), y = rms_norm(h) ----
    %l0_moe_norm = moe.get_param @layers.0.moe_norm : tensor<64xf32>
    %l0_y = moe.rms_norm %l0_h1, %l0_moe_norm epsilon = 1.0e-05 : tensor<8x16x64xf32>, tensor<64xf32>
    %l0_router = moe.get_param @layers.0.moe.router : tensor<64x8xf32>
    %l0_scores, %l0_indices, %l0_probs = moe.router %l0_y, %l0_router scoring = softmax top_k = 2 renormalize : tensor<8x16x64xf32>, tensor<64x8xf32>
    %l0_sorted, %l0_group_sizes = moe.dispatch %l0_y, %l0_indices num_experts = 8 : tensor<8x16x64xf32>, tensor<8x16x2xi32>
    %l0_w_gate = moe.get_param @layers.0.moe.w_gate : tensor<8x64x128xf32>
    %l0_w_up = moe.get_param @layers.0.moe.w_up : tensor<8x64x128xf32>
    %l0_w_down = moe.get_param @layers.0.moe.w_down : tensor<8x128x64xf32>
    %l0_expert_out = moe.experts %l0_sorted, %l0_group_sizes, %l0_w_gate, %l0_w_up, %l0_w_down : tensor<256x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
    %l0_routed = moe.combine %l0_expert_out, %l0_indices, %l0_scores : tensor<256x64xf32>, tensor<8x16x2xi32>, tensor<8x16x2xf32>
    %l0_s_gate = moe.get_param @layers.0.shared.w_gate : tensor<64x128xf32>
    %l0_s_up = moe.get_param @layers.0.shared.w_up : tensor<64x128xf32>
    %l0_s_down = moe.get_param @layers.0.shared.w_down : tensor<128x64xf32>
    %l0_shared = moe.shared_expert %l0_y, %l0_s_gate, %l0_s_up, %l0_s_down : tensor<8x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>
    %l0_mlp = moe.add %l0_routed, %l0_shared : tensor<8x16x64xf32>
    %l0_h2 = moe.add %l0_h1, %l0_mlp : tensor<8x16x64xf32>
    %l0_aux = moe.aux_loss %l0_probs, %l0_indices num_experts = 8 coefficient = 1.0e-02 : tensor<8x16x8xf32>, tensor<8x16x2xi32>

    // ---- layer 1: h = h + attention(rms_norm(h)) ----
    %l1_attn_norm = moe.get_param @layers.1.attn_norm : tensor<64xf32>
    %l1_x = moe.rms_norm %l0_h2, %l1_attn_norm epsilon = 1.0e-05 : tensor<8x16x64xf32>, tensor<64xf32>
    %l1_wq = moe.get_param @layers.1.attn.wq : tensor<64x64xf32>
    %l1_wk = moe.get_param @layers.1.attn.wk : tensor<64x32xf32>
    %l1_wv = moe.get_param @layers.1.attn.wv : tensor<64x32xf32>
    %l1_wo = moe.get_param @layers.1.attn.wo : tensor<64x64xf32>
    %l1_q = moe.linear %l1_x, %l1_wq : tensor<8x16x64xf32>, tensor<64x64xf32>
    %l1_k = moe.linear %l1_x, %l1_wk : tensor<8x16x64xf32>, tensor<64x32xf32>
    %l1_v = moe.linear %l1_x, %l1_wv : tensor<8x16x64xf32>, tensor<64x32xf32>
    %l1_attn = moe.attention %l1_q, %l1_k, %l1_v num_heads = 8 num_kv_heads = 4 causal : tensor<8x16x64xf32>, tensor<8x16x32xf32>, tensor<8x16x32xf32>
    %l1_attn_out = moe.linear %l1_attn, %l1_wo : tensor<8x16x64xf32>, tensor<64x64xf32>
    %l1_h1 = moe.add %l0_h2, %l1_attn_out : tensor<8x16x64xf32>

    // ---- layer 1: h = h + routed_experts(y) + shared_expert(y), y = rms_norm(h) ----
    %l1_moe_norm = moe.get_param @layers.1.moe_norm : tensor<64xf32>
    %l1_y = moe.rms_norm %l1_h1, %l1_moe_norm epsilon = 1.0e-05 : tensor<8x16x64xf32>, tensor<64xf32>
    %l1_router = moe.get_param @layers.1.moe.router : tensor<64x8xf32>
    %l1_scores, %l1_indices, %l1_probs = moe.router %l1_y, %l1_router scoring = softmax top_k = 2 renormalize : tensor<8x16x64xf32>, tensor<64x8xf32>
    %l1_sorted, %l1_group_sizes = moe.dispatch %l1_y, %l1_indices num_experts = 8 : tensor<8x16x64xf32>, tensor<8x16x2xi32>
    %l1_w_gate = moe.get_param @layers.1.moe.w_gate : tensor<8x64x128xf32>
    %l1_w_up = moe.get_param @layers.1.moe.w_up : tensor<8x64x128xf32>
    %l1_w_down = moe.get_param @layers.1.moe.w_down : tensor<8x128x64xf32>
    %l1_expert_out = moe.experts %l1_sorted, %l1_group_sizes, %l1_w_gate, %l1_w_up, %l1_w_down : tensor<256x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
    %l1_routed = moe.combine %l1_expert_out, %l1_indices, %l1_scores : tensor<256x64xf32>, tensor<8x16x2xi32>, tensor<8x16x2xf32>
    %l1_s_gate = moe.get_param @layers.1.shared.w_gate : tensor<64x128xf32>
    %l1_s_up = moe.get_param @layers.1.shared.w_up : tensor<64x128xf32>
    %l1_s_down = moe.get_param @layers.1.shared.w_down : tensor<128x64xf32>
    %l1_shared = moe.shared_expert %l1_y, %l1_s_gate, %l1_s_up, %l1_s_down : tensor<8x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>
    %l1_mlp = moe.add %l1_routed, %l1_shared : tensor<8x16x64xf32>
    %l1_h2 = moe.add %l1_h1, %l1_mlp : tensor<8x16x64xf32>
    %l1_aux = moe.aux_loss %l1_probs, %l1_indices num_experts = 8 coefficient = 1.0e-02 : tensor<8x16x8xf32>, tensor<8x16x2xi32>

    // ---- head and loss ----
    %final_norm = moe.get_param @final_norm : tensor<64xf32>
    %xf = moe.rms_norm %l1_h2, %final_norm epsilon = 1.0e-05 : tensor<8x16x64xf32>, tensor<64xf32>
    %lm_head = moe.get_param @lm_head : tensor<64x256xf32>
    %logits = moe.linear %xf, %lm_head : tensor<8x16x64xf32>, tensor<64x256xf32>
    %ce = moe.cross_entropy %logits, %targets : tensor<8x16x256xf32>, tensor<8x16xi32>
    %aux = moe.add %l0_aux, %l1_aux : tensor<f32>
    %loss = moe.add %ce, %aux : tensor<f32>
    return %loss : tensor<f32>
  }
}
