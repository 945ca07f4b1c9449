// RUN: moefold-opt %s --spmd-verify-types=print-types | FileCheck %s

// The gradient ops of a training step. A VJP is linear in the incoming
// gradient and may be non-linear in the saved forward values; each result
// takes the types of the operands it depends on only.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

#R = #spmd.local<@mesh[dense] {tp = R}>
#P = #spmd.local<@mesh[dense] {tp = P}>
#V = #spmd.local<@mesh[dense] {tp = V}>

// CHECK-LABEL: func.func @grad_linear_partial_dout
// CHECK: moe.linear_grad {{.*}}spmd.types = {{\[}}[#spmd.local<@mesh[dense] {tp = P}>], [#spmd.local<@mesh[dense] {tp = P}>]]
// CHECK: spmd.all_reduce {{.*}}spmd.types = [#spmd.local<@mesh[dense] {tp = R}>]
// dx = dout w^T and dweight = x^T dout are each linear in dout: a pending
// output gradient with replicated x and w gives pending dx and dweight.
func.func @grad_linear_partial_dout(%x: tensor<2x4x8xf32> {spmd.local = #R},
                                    %w: tensor<8x6xf32> {spmd.local = #R},
                                    %dout: tensor<2x4x6xf32> {spmd.local = #P})
    -> (tensor<8x6xf32> {spmd.local = #R}) {
  %dx, %dw = moe.linear_grad %x, %w, %dout : tensor<2x4x8xf32>, tensor<8x6xf32>, tensor<2x4x6xf32>
  %r = spmd.all_reduce %dw over @mesh[dense] [tp] (P -> R) : tensor<8x6xf32>
  return %r : tensor<8x6xf32>
}

// CHECK-LABEL: func.func @grad_linear_per_result
// CHECK: moe.linear_grad {{.*}}spmd.types = {{\[}}[#spmd.local<@mesh[dense] {tp = R}>], [#spmd.local<@mesh[dense] {tp = V}>]]
// dx does not depend on x: a split x makes dweight V, dx stays R.
func.func @grad_linear_per_result(%x: tensor<2x4x8xf32> {spmd.local = #V},
                                  %w: tensor<8x6xf32> {spmd.local = #R},
                                  %dout: tensor<2x4x6xf32> {spmd.local = #R}) -> tensor<2x4x8xf32> {
  %dx, %dw = moe.linear_grad %x, %w, %dout : tensor<2x4x8xf32>, tensor<8x6xf32>, tensor<2x4x6xf32>
  return %dx : tensor<2x4x8xf32>
}

// CHECK-LABEL: func.func @grad_rms_norm_partial_dout
// CHECK: moe.rms_norm_grad {{.*}}spmd.types = {{\[}}[#spmd.local<@mesh[dense] {tp = P}>], [#spmd.local<@mesh[dense] {tp = P}>]]
// Non-linear in x, linear in dout: P dout with R x gives P dx and dweight.
func.func @grad_rms_norm_partial_dout(%x: tensor<2x4x8xf32> {spmd.local = #R},
                                      %w: tensor<8xf32> {spmd.local = #R},
                                      %dout: tensor<2x4x8xf32> {spmd.local = #P}) -> tensor<8xf32> {
  %dx, %dw = moe.rms_norm_grad %x, %w, %dout epsilon = 1.0e-05 : tensor<2x4x8xf32>, tensor<8xf32>
  return %dw : tensor<8xf32>
}

// CHECK-LABEL: func.func @grad_attention_heads
// CHECK: moe.attention_grad {{.*}}spmd.types = {{\[}}[#spmd.local<@mesh[dense] {tp = V}>], [#spmd.local<@mesh[dense] {tp = V}>], [#spmd.local<@mesh[dense] {tp = V}>]]
// Heads split over tp: every gradient is this rank's heads.
func.func @grad_attention_heads(%q: tensor<2x4x8xf32> {spmd.local = #V},
                                %k: tensor<2x4x8xf32> {spmd.local = #V},
                                %v: tensor<2x4x8xf32> {spmd.local = #V},
                                %dout: tensor<2x4x8xf32> {spmd.local = #V}) -> tensor<2x4x8xf32> {
  %dq, %dk, %dv = moe.attention_grad %q, %k, %v, %dout num_heads = 2 num_kv_heads = 2 causal : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
  return %dq : tensor<2x4x8xf32>
}

// CHECK-LABEL: func.func @grad_swiglu_partial_dout
// CHECK: moe.swiglu_grad {{.*}}spmd.types = {{\[}}[#spmd.local<@mesh[dense] {tp = P}>], [#spmd.local<@mesh[dense] {tp = P}>]]
func.func @grad_swiglu_partial_dout(%g: tensor<2x8xf32> {spmd.local = #R},
                                    %u: tensor<2x8xf32> {spmd.local = #R},
                                    %dout: tensor<2x8xf32> {spmd.local = #P}) -> tensor<2x8xf32> {
  %dg, %du = moe.swiglu_grad %g, %u, %dout : tensor<2x8xf32>
  return %dg : tensor<2x8xf32>
}

// CHECK-LABEL: func.func @grad_router_partial_sum
// CHECK: moe.router_grad {{.*}}spmd.types = {{\[}}[#spmd.local<@mesh[dense] {tp = P}>], [#spmd.local<@mesh[dense] {tp = P}>]]
// The logits' gradient is linear in (dscores, dprobs) jointly: both pending
// is one pending sum; an absent dprobs (moe.fill 0.0) is a zero summand.
func.func @grad_router_partial_sum(%x: tensor<1x4x8xf32> {spmd.local = #R},
                                   %w: tensor<8x4xf32> {spmd.local = #R},
                                   %probs: tensor<1x4x4xf32> {spmd.local = #R},
                                   %idx: tensor<1x4x2xi32> {spmd.local = #R},
                                   %dscores: tensor<1x4x2xf32> {spmd.local = #P},
                                   %dprobs: tensor<1x4x4xf32> {spmd.local = #P}) -> tensor<8x4xf32> {
  %dx, %dw = moe.router_grad %x, %w, %probs, %idx, %dscores, %dprobs scoring = softmax top_k = 2 : tensor<1x4x8xf32>, tensor<8x4xf32>, tensor<1x4x4xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  %zero = moe.fill 0.0 : tensor<1x4x4xf32>
  %dx2, %dw2 = moe.router_grad %x, %w, %probs, %idx, %dscores, %zero scoring = softmax top_k = 2 : tensor<1x4x8xf32>, tensor<8x4xf32>, tensor<1x4x4xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  %sum = moe.add %dw, %dw2 : tensor<8x4xf32>
  return %sum : tensor<8x4xf32>
}

// CHECK-LABEL: func.func @grad_moe_block_partial_dout
// CHECK: moe.combine_grad {{.*}}spmd.types = {{\[}}[#spmd.local<@mesh[dense] {tp = P}>], [#spmd.local<@mesh[dense] {tp = P}>]]
// CHECK: moe.experts_grad {{.*}}spmd.types = {{\[}}[#spmd.local<@mesh[dense] {tp = P}>], [#spmd.local<@mesh[dense] {tp = P}>], [#spmd.local<@mesh[dense] {tp = P}>], [#spmd.local<@mesh[dense] {tp = P}>]]
// CHECK: moe.dispatch_grad {{.*}}spmd.types = [#spmd.local<@mesh[dense] {tp = P}>]
// combine, the experts' weights (in w_up, w_down) and dispatch are linear in
// the output gradient: a pending one flows through the whole MoE block.
func.func @grad_moe_block_partial_dout(%sorted: tensor<8x8xf32> {spmd.local = #R},
                                       %sizes: tensor<4xi32> {spmd.local = #R},
                                       %wg: tensor<4x8x16xf32> {spmd.local = #R},
                                       %wu: tensor<4x8x16xf32> {spmd.local = #R},
                                       %wd: tensor<4x16x8xf32> {spmd.local = #R},
                                       %out: tensor<8x8xf32> {spmd.local = #R},
                                       %idx: tensor<1x4x2xi32> {spmd.local = #R},
                                       %scores: tensor<1x4x2xf32> {spmd.local = #R},
                                       %dy: tensor<1x4x8xf32> {spmd.local = #P}) -> tensor<1x4x8xf32> {
  %deo, %ds = moe.combine_grad %out, %idx, %scores, %dy num_experts = 4 : tensor<8x8xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>, tensor<1x4x8xf32>
  %dsorted, %dwg, %dwu, %dwd = moe.experts_grad %sorted, %sizes, %wg, %wu, %wd, %deo : tensor<8x8xf32>, tensor<4xi32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x16x8xf32>
  %dx = moe.dispatch_grad %idx, %dsorted num_experts = 4 : tensor<1x4x2xi32>, tensor<8x8xf32> -> tensor<1x4x8xf32>
  return %dx : tensor<1x4x8xf32>
}

// CHECK-LABEL: func.func @grad_shared_expert_column_row
// CHECK: moe.shared_expert_grad {{.*}}spmd.types = {{\[}}[#spmd.local<@mesh[dense] {tp = V}>], [#spmd.local<@mesh[dense] {tp = V}>], [#spmd.local<@mesh[dense] {tp = V}>], [#spmd.local<@mesh[dense] {tp = V}>], [#spmd.local<@mesh[dense] {tp = V}>]]
// CHECK: spmd.all_reduce {{.*}}spmd.types = [#spmd.local<@mesh[dense] {tp = R}>]
// A Megatron MLP: the weights split on the hidden units. dx contracts them,
// so it is this rank's share of a sum (typed V, reduced V -> R); the
// weight gradients are this rank's shards.
func.func @grad_shared_expert_column_row(%x: tensor<1x4x8xf32> {spmd.local = #R},
                                         %wg: tensor<8x8xf32> {spmd.local = #V},
                                         %wu: tensor<8x8xf32> {spmd.local = #V},
                                         %wd: tensor<8x8xf32> {spmd.local = #V},
                                         %gate: tensor<8x1xf32> {spmd.local = #R},
                                         %dout: tensor<1x4x8xf32> {spmd.local = #R}) -> tensor<1x4x8xf32> {
  %dx, %dwg, %dwu, %dwd, %dgate = moe.shared_expert_grad %x, %wg, %wu, %wd gate %gate, %dout : tensor<1x4x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x1xf32>
  %r = spmd.all_reduce %dx over @mesh[dense] [tp] (V -> R) : tensor<1x4x8xf32>
  return %r : tensor<1x4x8xf32>
}

// CHECK-LABEL: func.func @grad_losses_and_embedding
// CHECK: moe.fill {{.*}}spmd.types = "constant"
// CHECK: moe.cross_entropy_grad {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = R}>]
// CHECK: moe.aux_loss_grad {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = R}>]
// CHECK: moe.embedding_grad {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = R}>]
// CHECK: spmd.all_reduce {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = R, tp = R}>]
// The loss seed is a constant; the loss gradients are non-linear in the
// logits / probabilities and linear in it. The table gradient sums over
// this rank's tokens: a share of a sum over dp, all-reduced V -> R.
func.func @grad_losses_and_embedding(%logits: tensor<1x4x16xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
                                     %targets: tensor<1x4xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
                                     %probs: tensor<1x4x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
                                     %idx: tensor<1x4x2xi32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>},
                                     %dh: tensor<1x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>})
    -> (tensor<16x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}) {
  %seed = moe.fill 1.0 : tensor<f32>
  %dlogits = moe.cross_entropy_grad %logits, %targets, %seed : tensor<1x4x16xf32>, tensor<1x4xi32>, tensor<f32>
  %dprobs = moe.aux_loss_grad %probs, %idx, %seed num_experts = 4 coefficient = 1.0e-02 : tensor<1x4x4xf32>, tensor<1x4x2xi32>, tensor<f32>
  %dtable = moe.embedding_grad %targets, %dh : tensor<1x4xi32>, tensor<1x4x8xf32> -> tensor<16x8xf32>
  %r = spmd.all_reduce %dtable over @mesh[dense] [dp] (V -> R) : tensor<16x8xf32>
  return %r : tensor<16x8xf32>
}
