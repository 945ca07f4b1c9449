// RUN: moefold-opt %s -split-input-file --moe-autodiff | FileCheck %s

// The VJP rule of every differentiable forward op, on tiny functions: which
// gradient op is built and which values feed it. B = 1, S = 2 throughout.

moe.param @table : tensor<8x4xf32> family = embedding

// CHECK-LABEL: func.func @vjp_embedding_grad
// CHECK-SAME: (%[[TOK:[^:]*]]: tensor<1x2xi32>, %[[TGT:[^:]*]]: tensor<1x2xi32>)
// CHECK-SAME: -> (tensor<f32> {moe.loss}, tensor<8x4xf32> {moe.grad_of = @table})
// CHECK: %[[H:.*]] = moe.embedding
// CHECK: %[[CE:.*]] = moe.cross_entropy %[[H]], %[[TGT]]
// CHECK: %[[SEED:.*]] = moe.fill 1.000000e+00 : tensor<f32>
// CHECK: %[[DH:.*]] = moe.cross_entropy_grad %[[H]], %[[TGT]], %[[SEED]]
// CHECK: %[[DT:.*]] = moe.embedding_grad %[[TOK]], %[[DH]] : tensor<1x2xi32>, tensor<1x2x4xf32> -> tensor<8x4xf32>
// CHECK: return %[[CE]], %[[DT]] : tensor<f32>, tensor<8x4xf32>
// Tokens get no gradient; the table gets the scatter-add of dout.
func.func @vjp_embedding(%tokens: tensor<1x2xi32>, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %t = moe.get_param @table : tensor<8x4xf32>
  %h = moe.embedding %t, %tokens : tensor<8x4xf32>, tensor<1x2xi32>
  %ce = moe.cross_entropy %h, %targets : tensor<1x2x4xf32>, tensor<1x2xi32>
  return %ce : tensor<f32>
}

// -----

moe.param @norm : tensor<4xf32> family = norm

// CHECK-LABEL: func.func @vjp_rms_norm_grad
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x2x4xf32>
// CHECK: %[[W:.*]] = moe.get_param @norm
// CHECK: %[[N:.*]] = moe.rms_norm %[[X]], %[[W]]
// CHECK: %[[DN:.*]] = moe.cross_entropy_grad %[[N]]
// CHECK: %{{.*}}, %[[DW:.*]] = moe.rms_norm_grad %[[X]], %[[W]], %[[DN]] epsilon = 1.000000e-05 : tensor<1x2x4xf32>, tensor<4xf32>
// CHECK: return %{{.*}}, %[[DW]]
// The forward epsilon is carried over.
func.func @vjp_rms_norm(%x: tensor<1x2x4xf32>, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %w = moe.get_param @norm : tensor<4xf32>
  %n = moe.rms_norm %x, %w epsilon = 1.0e-05 : tensor<1x2x4xf32>, tensor<4xf32>
  %ce = moe.cross_entropy %n, %targets : tensor<1x2x4xf32>, tensor<1x2xi32>
  return %ce : tensor<f32>
}

// -----

moe.param @w : tensor<4x8xf32> family = dense

// CHECK-LABEL: func.func @vjp_linear_grad
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x2x4xf32>
// CHECK: %[[W:.*]] = moe.get_param @w
// CHECK: %[[Y:.*]] = moe.linear %[[X]], %[[W]]
// CHECK: %[[DY:.*]] = moe.cross_entropy_grad %[[Y]]
// CHECK: %{{.*}}, %[[DW:.*]] = moe.linear_grad %[[X]], %[[W]], %[[DY]] : tensor<1x2x4xf32>, tensor<4x8xf32>, tensor<1x2x8xf32>
// CHECK: return %{{.*}}, %[[DW]] : tensor<f32>, tensor<4x8xf32>
// dweight = x^T @ dout comes from the forward input and the output gradient.
func.func @vjp_linear(%x: tensor<1x2x4xf32>, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %w = moe.get_param @w : tensor<4x8xf32>
  %y = moe.linear %x, %w : tensor<1x2x4xf32>, tensor<4x8xf32>
  %ce = moe.cross_entropy %y, %targets : tensor<1x2x8xf32>, tensor<1x2xi32>
  return %ce : tensor<f32>
}

// -----

moe.param @wq : tensor<4x4xf32> family = dense

// CHECK-LABEL: func.func @vjp_attention_grad
// CHECK: %[[Q:.*]] = moe.linear %[[X:.*]], %[[WQ:.*]] :
// CHECK: %[[A:.*]] = moe.attention %[[Q]], %[[Q]], %[[Q]]
// CHECK: %[[DA:.*]] = moe.cross_entropy_grad %[[A]]
// CHECK: %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = moe.attention_grad %[[Q]], %[[Q]], %[[Q]], %[[DA]] num_heads = 2 num_kv_heads = 2 causal
// CHECK: %[[S1:.*]] = moe.add %[[DQ]], %[[DK]]
// CHECK: %[[S2:.*]] = moe.add %[[S1]], %[[DV]]
// CHECK: moe.linear_grad %[[X]], %[[WQ]], %[[S2]]
// q used as query, key and value: its gradient is dq + dk + dv.
func.func @vjp_attention(%x: tensor<1x2x4xf32>, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %wq = moe.get_param @wq : tensor<4x4xf32>
  %q = moe.linear %x, %wq : tensor<1x2x4xf32>, tensor<4x4xf32>
  %a = moe.attention %q, %q, %q num_heads = 2 num_kv_heads = 2 causal : tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  %ce = moe.cross_entropy %a, %targets : tensor<1x2x4xf32>, tensor<1x2xi32>
  return %ce : tensor<f32>
}

// -----

moe.param @wg : tensor<4x8xf32> family = dense
moe.param @wu : tensor<4x8xf32> family = dense

// CHECK-LABEL: func.func @vjp_swiglu_grad
// CHECK: %[[WG:.*]] = moe.get_param @wg
// CHECK: %[[WU:.*]] = moe.get_param @wu
// CHECK: %[[G:.*]] = moe.linear %[[X:.*]], %[[WG]]
// CHECK: %[[U:.*]] = moe.linear %[[X]], %[[WU]]
// CHECK: %[[H:.*]] = moe.swiglu %[[G]], %[[U]]
// CHECK: %[[DH:.*]] = moe.cross_entropy_grad %[[H]]
// CHECK: %[[DG:.*]], %[[DU:.*]] = moe.swiglu_grad %[[G]], %[[U]], %[[DH]] : tensor<1x2x8xf32>
// CHECK: %{{.*}}, %[[DWU:.*]] = moe.linear_grad %[[X]], %[[WU]], %[[DU]]
// CHECK: %{{.*}}, %[[DWG:.*]] = moe.linear_grad %[[X]], %[[WG]], %[[DG]]
// CHECK: return %{{.*}}, %[[DWG]], %[[DWU]]
// dgate flows to the gate projection, dup to the up projection.
func.func @vjp_swiglu(%x: tensor<1x2x4xf32>, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %wg = moe.get_param @wg : tensor<4x8xf32>
  %wu = moe.get_param @wu : tensor<4x8xf32>
  %g = moe.linear %x, %wg : tensor<1x2x4xf32>, tensor<4x8xf32>
  %u = moe.linear %x, %wu : tensor<1x2x4xf32>, tensor<4x8xf32>
  %h = moe.swiglu %g, %u : tensor<1x2x8xf32>
  %ce = moe.cross_entropy %h, %targets : tensor<1x2x8xf32>, tensor<1x2xi32>
  return %ce : tensor<f32>
}

// -----

moe.param @w_in : tensor<4x4xf32> family = dense
moe.param @router : tensor<4x4xf32> family = router
moe.param @w_gate : tensor<4x4x8xf32> family = routed_expert
moe.param @w_up : tensor<4x4x8xf32> family = routed_expert
moe.param @w_down : tensor<4x8x4xf32> family = routed_expert

// CHECK-LABEL: func.func @vjp_moe_block_grad
// CHECK-SAME: (%[[IN:[^:]*]]: tensor<1x2x4xf32>
// CHECK: %[[WIN:.*]] = moe.get_param @w_in
// CHECK: %[[X:.*]] = moe.linear %[[IN]], %[[WIN]]
// CHECK: %[[R:.*]] = moe.get_param @router
// CHECK: %[[SC:.*]], %[[IDX:.*]], %[[PR:.*]] = moe.router %[[X]], %[[R]]
// CHECK: %[[SORTED:.*]], %[[SIZES:.*]] = moe.dispatch %[[X]], %[[IDX]] num_experts = 4
// CHECK: %[[OUT:.*]] = moe.experts %[[SORTED]], %[[SIZES]], %[[WG:[^,]*]], %[[WU:[^,]*]], %[[WD:[^ ]*]] :
// CHECK: %[[Y:.*]] = moe.combine %[[OUT]], %[[IDX]], %[[SC]]
// CHECK: %[[DY:.*]] = moe.cross_entropy_grad %[[Y]]
// CHECK: %[[DOUT:.*]], %[[DSC:.*]] = moe.combine_grad %[[OUT]], %[[IDX]], %[[SC]], %[[DY]] num_experts = 4 :
// CHECK: %[[DSORTED:.*]], %[[DWG:.*]], %[[DWU:.*]], %[[DWD:.*]] = moe.experts_grad %[[SORTED]], %[[SIZES]], %[[WG]], %[[WU]], %[[WD]], %[[DOUT]] :
// CHECK: %[[DXD:.*]] = moe.dispatch_grad %[[IDX]], %[[DSORTED]] num_experts = 4 : tensor<1x2x2xi32>, tensor<4x4xf32> -> tensor<1x2x4xf32>
// CHECK: %[[ZERO:.*]] = moe.fill 0.000000e+00 : tensor<1x2x4xf32>
// CHECK: %[[DXR:.*]], %[[DR:.*]] = moe.router_grad %[[X]], %[[R]], %[[PR]], %[[IDX]], %[[DSC]], %[[ZERO]] scoring = softmax top_k = 2 renormalize :
// CHECK: %[[DX:.*]] = moe.add %[[DXD]], %[[DXR]]
// CHECK: %{{.*}}, %[[DWIN:.*]] = moe.linear_grad %[[IN]], %[[WIN]], %[[DX]]
// CHECK: return %{{.*}}, %[[DWIN]], %[[DR]], %[[DWG]], %[[DWU]], %[[DWD]]
// Router -> dispatch -> experts -> combine. The probabilities feed no aux
// loss, so the router's dprobs is a zero fill; num_experts for combine_grad
// comes from the dispatch that shares the indices; x gets the sum of the
// dispatch and router gradients.
func.func @vjp_moe_block(%in: tensor<1x2x4xf32>, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %w_in = moe.get_param @w_in : tensor<4x4xf32>
  %x = moe.linear %in, %w_in : tensor<1x2x4xf32>, tensor<4x4xf32>
  %r = moe.get_param @router : tensor<4x4xf32>
  %scores, %indices, %probs = moe.router %x, %r scoring = softmax top_k = 2 renormalize : tensor<1x2x4xf32>, tensor<4x4xf32>
  %sorted, %sizes = moe.dispatch %x, %indices num_experts = 4 : tensor<1x2x4xf32>, tensor<1x2x2xi32>
  %wg = moe.get_param @w_gate : tensor<4x4x8xf32>
  %wu = moe.get_param @w_up : tensor<4x4x8xf32>
  %wd = moe.get_param @w_down : tensor<4x8x4xf32>
  %out = moe.experts %sorted, %sizes, %wg, %wu, %wd : tensor<4x4xf32>, tensor<4xi32>, tensor<4x4x8xf32>, tensor<4x4x8xf32>, tensor<4x8x4xf32>
  %y = moe.combine %out, %indices, %scores : tensor<4x4xf32>, tensor<1x2x2xi32>, tensor<1x2x2xf32>
  %ce = moe.cross_entropy %y, %targets : tensor<1x2x4xf32>, tensor<1x2xi32>
  return %ce : tensor<f32>
}

// -----

moe.param @router : tensor<4x4xf32> family = router

// CHECK-LABEL: func.func @vjp_aux_loss_grad
// CHECK: %[[SC:.*]], %[[IDX:.*]], %[[PR:.*]] = moe.router %[[X:.*]], %[[R:.*]] scoring = sigmoid top_k = 1 :
// CHECK: %[[AUX:.*]] = moe.aux_loss %[[PR]], %[[IDX]]
// CHECK: %[[LOSS:.*]] = moe.add %{{.*}}, %[[AUX]]
// CHECK: %[[SEED:.*]] = moe.fill 1.000000e+00 : tensor<f32>
// CHECK: %[[DPR:.*]] = moe.aux_loss_grad %[[PR]], %[[IDX]], %[[SEED]] num_experts = 4 coefficient = 1.000000e-02 :
// CHECK: %[[DOUT:.*]], %[[DSC:.*]] = moe.combine_grad
// CHECK: %{{.*}}, %[[DR:.*]] = moe.router_grad %[[X]], %[[R]], %[[PR]], %[[IDX]], %[[DSC]], %[[DPR]] scoring = sigmoid top_k = 1 :
// CHECK: return %[[LOSS]], %[[DR]]
// The aux loss is added to the loss, so moe.add passes the seed to it
// unchanged and its dprobs reaches the router. combine's expert rows come
// from an argument: num_experts is read off the router.
func.func @vjp_aux_loss(%x: tensor<1x2x4xf32>, %rows: tensor<2x4xf32>, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %r = moe.get_param @router : tensor<4x4xf32>
  %scores, %indices, %probs = moe.router %x, %r scoring = sigmoid top_k = 1 : tensor<1x2x4xf32>, tensor<4x4xf32>
  %y = moe.combine %rows, %indices, %scores : tensor<2x4xf32>, tensor<1x2x1xi32>, tensor<1x2x1xf32>
  %ce = moe.cross_entropy %y, %targets : tensor<1x2x4xf32>, tensor<1x2xi32>
  %aux = moe.aux_loss %probs, %indices num_experts = 4 coefficient = 1.0e-02 : tensor<1x2x4xf32>, tensor<1x2x1xi32>
  %loss = moe.add %ce, %aux : tensor<f32>
  return %loss : tensor<f32>
}

// -----

moe.param @wg : tensor<4x8xf32> family = shared_expert
moe.param @wu : tensor<4x8xf32> family = shared_expert
moe.param @wd : tensor<8x4xf32> family = shared_expert
moe.param @gate : tensor<4x1xf32> family = shared_expert

// CHECK-LABEL: func.func @vjp_shared_expert_grad
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x2x4xf32>
// CHECK: %[[Y:.*]] = moe.shared_expert %[[X]], %[[WG:[^,]*]], %[[WU:[^,]*]], %[[WD:[^ ]*]] gate %[[G:[^ ]*]] :
// CHECK: %[[DY:.*]] = moe.cross_entropy_grad %[[Y]]
// CHECK: %{{.*}}, %[[DWG:.*]], %[[DWU:.*]], %[[DWD:.*]], %[[DG:.*]] = moe.shared_expert_grad %[[X]], %[[WG]], %[[WU]], %[[WD]] gate %[[G]], %[[DY]] :
// CHECK: return %{{.*}}, %[[DWG]], %[[DWU]], %[[DWD]], %[[DG]]
// A gated shared expert: the gate gets the fifth gradient.
func.func @vjp_shared_expert(%x: tensor<1x2x4xf32>, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %wg = moe.get_param @wg : tensor<4x8xf32>
  %wu = moe.get_param @wu : tensor<4x8xf32>
  %wd = moe.get_param @wd : tensor<8x4xf32>
  %g = moe.get_param @gate : tensor<4x1xf32>
  %y = moe.shared_expert %x, %wg, %wu, %wd gate %g : tensor<1x2x4xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x4xf32>, tensor<4x1xf32>
  %ce = moe.cross_entropy %y, %targets : tensor<1x2x4xf32>, tensor<1x2xi32>
  return %ce : tensor<f32>
}

// -----

moe.param @w : tensor<4x4xf32> family = dense

// CHECK-LABEL: func.func @vjp_add_same_operand_grad
// CHECK: %[[Y:.*]] = moe.linear %[[X:.*]], %[[W:.*]] :
// CHECK: %[[H:.*]] = moe.add %[[Y]], %[[Y]]
// CHECK: %[[DH:.*]] = moe.cross_entropy_grad %[[H]]
// CHECK: %[[TWICE:.*]] = moe.add %[[DH]], %[[DH]] : tensor<1x2x4xf32>
// CHECK: moe.linear_grad %[[X]], %[[W]], %[[TWICE]]
// y + y: both operands get dout, which accumulate to 2 * dout.
func.func @vjp_add_same_operand(%x: tensor<1x2x4xf32>, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %w = moe.get_param @w : tensor<4x4xf32>
  %y = moe.linear %x, %w : tensor<1x2x4xf32>, tensor<4x4xf32>
  %h = moe.add %y, %y : tensor<1x2x4xf32>
  %ce = moe.cross_entropy %h, %targets : tensor<1x2x4xf32>, tensor<1x2xi32>
  return %ce : tensor<f32>
}
