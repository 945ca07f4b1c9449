// RUN: moefold-opt %moefold_src/examples/tiny_moe.mlir --moe-autodiff | FileCheck %s

// moe-autodiff on the example model (examples/tiny_moe.mlir): every
// parameter gets a gradient result, in declaration order, and no gradient
// is a zero fill (every parameter reaches the loss). Spot checks of the
// head, the final norm, the aux loss, the routed experts and the embedding.

// CHECK-LABEL: func.func @train_step(
// CHECK-LABEL: func.func @train_step_grad(
// CHECK-SAME: %[[TOKENS:[^:]*]]: tensor<2x16xi32>, %[[TARGETS:[^:]*]]: tensor<2x16xi32>
// CHECK-SAME: -> (tensor<f32> {moe.loss}
// CHECK-SAME: {moe.grad_of = @embed}
// CHECK-SAME: {moe.grad_of = @layers.0.attn_norm}
// CHECK-SAME: {moe.grad_of = @layers.0.attn.wq}
// CHECK-SAME: {moe.grad_of = @layers.0.attn.wk}
// CHECK-SAME: {moe.grad_of = @layers.0.attn.wv}
// CHECK-SAME: {moe.grad_of = @layers.0.attn.wo}
// CHECK-SAME: {moe.grad_of = @layers.0.moe_norm}
// CHECK-SAME: {moe.grad_of = @layers.0.moe.router}
// CHECK-SAME: {moe.grad_of = @layers.0.moe.w_gate}
// CHECK-SAME: {moe.grad_of = @layers.0.moe.w_up}
// CHECK-SAME: {moe.grad_of = @layers.0.moe.w_down}
// CHECK-SAME: {moe.grad_of = @layers.0.shared.w_gate}
// CHECK-SAME: {moe.grad_of = @layers.0.shared.w_up}
// CHECK-SAME: {moe.grad_of = @layers.0.shared.w_down}
// CHECK-SAME: {moe.grad_of = @layers.1.attn_norm}
// CHECK-SAME: {moe.grad_of = @layers.1.attn.wq}
// CHECK-SAME: {moe.grad_of = @layers.1.attn.wk}
// CHECK-SAME: {moe.grad_of = @layers.1.attn.wv}
// CHECK-SAME: {moe.grad_of = @layers.1.attn.wo}
// CHECK-SAME: {moe.grad_of = @layers.1.moe_norm}
// CHECK-SAME: {moe.grad_of = @layers.1.moe.router}
// CHECK-SAME: {moe.grad_of = @layers.1.moe.w_gate}
// CHECK-SAME: {moe.grad_of = @layers.1.moe.w_up}
// CHECK-SAME: {moe.grad_of = @layers.1.moe.w_down}
// CHECK-SAME: {moe.grad_of = @layers.1.shared.w_gate}
// CHECK-SAME: {moe.grad_of = @layers.1.shared.w_up}
// CHECK-SAME: {moe.grad_of = @layers.1.shared.w_down}
// CHECK-SAME: {moe.grad_of = @final_norm}
// CHECK-SAME: {moe.grad_of = @lm_head}
// CHECK: %[[FN:.*]] = moe.get_param @final_norm
// CHECK: %[[XF:.*]] = moe.rms_norm %[[H2:.*]], %[[FN]] epsilon
// CHECK: %[[HEAD:.*]] = moe.get_param @lm_head
// CHECK: %[[LOGITS:.*]] = moe.linear %[[XF]], %[[HEAD]]
// CHECK: moe.cross_entropy
// CHECK: moe.add
// CHECK-NEXT: %[[LOSS:.*]] = moe.add
// CHECK-NEXT: %[[SEED:.*]] = moe.fill 1.000000e+00 : tensor<f32>
// CHECK-NEXT: %[[DLOGITS:.*]] = moe.cross_entropy_grad %[[LOGITS]], %[[TARGETS]], %[[SEED]]
// CHECK-NEXT: %[[DXF:.*]], %[[DHEAD:.*]] = moe.linear_grad %[[XF]], %[[HEAD]], %[[DLOGITS]]
// CHECK-NEXT: %{{.*}}, %[[DFN:.*]] = moe.rms_norm_grad %[[H2]], %[[FN]], %[[DXF]] epsilon = 1.000000e-05
// The aux losses are summed into the loss: each gets the seed itself.
// CHECK-NEXT: %[[DPROBS1:.*]] = moe.aux_loss_grad %[[PROBS1:.*]], %[[IDX1:.*]], %[[SEED]] num_experts = 8
// CHECK: moe.combine_grad %{{.*}}, %[[IDX1]], %{{.*}} num_experts = 8
// CHECK: moe.experts_grad
// CHECK: moe.dispatch_grad %[[IDX1]]
// CHECK: moe.router_grad %{{.*}}, %{{.*}}, %[[PROBS1]], %[[IDX1]], %{{.*}}, %[[DPROBS1]] scoring = softmax top_k = 2 renormalize
// Layer 0 after layer 1.
// CHECK: moe.aux_loss_grad %{{.*}}, %{{.*}}, %[[SEED]] num_experts = 8
// CHECK: moe.router_grad
// CHECK: moe.attention_grad {{.*}} num_heads = 4 num_kv_heads = 2 causal
// CHECK: %[[DEMBED:.*]] = moe.embedding_grad %[[TOKENS]], %{{.*}} : tensor<2x16xi32>, tensor<2x16x64xf32> -> tensor<256x64xf32>
// CHECK-NOT: moe.fill
// CHECK: return %[[LOSS]], %[[DEMBED]], {{.*}}, %[[DFN]], %[[DHEAD]] : tensor<f32>, tensor<256x64xf32>,
