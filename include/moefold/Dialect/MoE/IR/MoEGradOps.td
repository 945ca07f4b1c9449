//===- MoEGradOps.td - vector-Jacobian products ----------*- tablegen -*-===//
//
// Included from MoEOps.td. One gradient op per differentiable forward op,
// mirroring the runtime's `mfrt_<op>_bwd` (runtime/include/moefold_runtime/
// mfrt_ops.h): operands are the forward operands (and forward results where
// the runtime needs them) followed by the output gradients; results are the
// input gradients in operand order; attributes are the forward op's. The
// forward operands obey the forward op's shape rules (the same verifier
// code checks both), and every output gradient has its forward value's type.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_MOE_IR_MOEGRADOPS_TD
#define MOEFOLD_DIALECT_MOE_IR_MOEGRADOPS_TD

def MoE_EmbeddingGradOp : MoE_Op<"embedding_grad", [Pure]> {
  let summary = "Gradient of moe.embedding with respect to the table.";
  let description = [{
    `tokens` is `[B, S]`, `dout` `[B, S, H]`; the result `dtable` `[V, H]`
    (its type is written explicitly: `V` appears in no operand) is the
    scatter-add of the rows of `dout` by token id. Tokens get no gradient.

    ```mlir
    %dtable = moe.embedding_grad %tokens, %dout : tensor<2x16xi32>, tensor<2x16x64xf32> -> tensor<256x64xf32>
    ```
  }];
  let arguments = (ins MoE_TokenTensor:$tokens, MoE_FloatTensor:$dout);
  let results = (outs MoE_FloatTensor:$dtable);
  let assemblyFormat = [{
    $tokens `,` $dout attr-dict `:` type($tokens) `,` type($dout) `->` type($dtable)
  }];
  let hasVerifier = 1;
}

def MoE_RMSNormGradOp : MoE_Op<"rms_norm_grad", [Pure,
    AllTypesMatch<["x", "dout", "dx"]>, AllTypesMatch<["weight", "dweight"]>]> {
  let summary = "Gradient of moe.rms_norm.";
  let description = [{
    Operands `x` `[..., H]`, `weight` `[H]` and `epsilon` as in
    `moe.rms_norm`, `dout` of the type of `x`; results `dx` and `dweight`.

    ```mlir
    %dx, %dw = moe.rms_norm_grad %x, %w, %dout epsilon = 1.0e-05 : tensor<2x16x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$x, MoE_FloatTensor:$weight,
                   MoE_FloatTensor:$dout,
                   DefaultValuedAttr<F64Attr, "1.0e-6">:$epsilon);
  let results = (outs MoE_FloatTensor:$dx, MoE_FloatTensor:$dweight);
  let assemblyFormat = [{
    $x `,` $weight `,` $dout (`epsilon` `=` $epsilon^)? attr-dict
    `:` type($x) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def MoE_LinearGradOp : MoE_Op<"linear_grad", [Pure,
    AllTypesMatch<["x", "dx"]>, AllTypesMatch<["weight", "dweight"]>]> {
  let summary = "Gradient of moe.linear.";
  let description = [{
    `x` `[..., K]`, `weight` `[K, N]`, `dout` `[..., N]`;
    `dx = dout @ weight^T`, `dweight = x^T @ dout` (leading dims flattened).

    ```mlir
    %dx, %dw = moe.linear_grad %x, %w, %dout : tensor<2x16x64xf32>, tensor<64x32xf32>, tensor<2x16x32xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$x, MoE_FloatTensor:$weight,
                   MoE_FloatTensor:$dout);
  let results = (outs MoE_FloatTensor:$dx, MoE_FloatTensor:$dweight);
  let assemblyFormat = [{
    $x `,` $weight `,` $dout attr-dict
    `:` type($x) `,` type($weight) `,` type($dout)
  }];
  let hasVerifier = 1;
}

def MoE_AttentionGradOp : MoE_Op<"attention_grad", [Pure, InferTypeOpAdaptor,
    AllTypesMatch<["q", "dout", "dq"]>, AllTypesMatch<["k", "dk"]>,
    AllTypesMatch<["v", "dv"]>]> {
  let summary = "Gradient of moe.attention.";
  let description = [{
    Operands and attributes of `moe.attention`, then `dout` of the type of
    `q`; results `dq`, `dk`, `dv` and, exactly when `qk_norm %qn, %kn` is
    given, `dq_norm`, `dk_norm` (of the types of `qn`, `kn`). The attention
    probabilities (and the normalised, rotated queries and keys) are
    recomputed (nothing is saved from the forward pass); `dq` and `dk` are
    gradients with respect to the unnormalised, unrotated `q` and `k`.
    `dq_norm` and `dk_norm` sum over every head and token.

    ```mlir
    %dq, %dk, %dv = moe.attention_grad %q, %k, %v, %dout num_heads = 4 num_kv_heads = 2 causal : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
    %rq, %rk, %rv = moe.attention_grad %q, %k, %v, %dout num_heads = 4 num_kv_heads = 2 causal rope_theta = 1.0e+04 : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
    %nq, %nk, %nv, %dqn, %dkn = moe.attention_grad %q, %k, %v, %dout qk_norm %qn, %kn num_heads = 4 num_kv_heads = 2 causal epsilon = 1.0e-06 : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<16xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$q, MoE_FloatTensor:$k,
                   MoE_FloatTensor:$v, MoE_FloatTensor:$dout,
                   Variadic<MoE_FloatTensor>:$qk_norm,
                   I64Attr:$num_heads, I64Attr:$num_kv_heads,
                   UnitAttr:$causal, OptionalAttr<F64Attr>:$rope_theta,
                   OptionalAttr<F64Attr>:$epsilon);
  let results = (outs MoE_FloatTensor:$dq, MoE_FloatTensor:$dk,
                      MoE_FloatTensor:$dv,
                      Variadic<MoE_FloatTensor>:$dqk_norm);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $dout (`qk_norm` $qk_norm^)?
    `num_heads` `=` $num_heads
    `num_kv_heads` `=` $num_kv_heads (`causal` $causal^)?
    (`rope_theta` `=` $rope_theta^)? (`epsilon` `=` $epsilon^)? attr-dict
    `:` type($q) `,` type($k) `,` type($v) (`,` type($qk_norm)^)?
  }];
  let hasVerifier = 1;
}

def MoE_SwiGLUGradOp : MoE_Op<"swiglu_grad", [Pure,
    AllTypesMatch<["gate", "up", "dout", "dgate", "dup"]>]> {
  let summary = "Gradient of moe.swiglu.";
  let description = [{
    `gate`, `up`, `dout` and both results share one type.

    ```mlir
    %dg, %du = moe.swiglu_grad %g, %u, %dout : tensor<2x16x128xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$gate, MoE_FloatTensor:$up,
                   MoE_FloatTensor:$dout);
  let results = (outs MoE_FloatTensor:$dgate, MoE_FloatTensor:$dup);
  let assemblyFormat = "$gate `,` $up `,` $dout attr-dict `:` type($gate)";
}

def MoE_RouterGradOp : MoE_Op<"router_grad", [Pure,
    AllTypesMatch<["x", "dx"]>, AllTypesMatch<["weight", "dweight"]>,
    AllTypesMatch<["probs", "dprobs"]>]> {
  let summary = "Gradient of moe.router through its scores and probabilities.";
  let description = [{
    `x` `[B, S, H]` and `weight` `[H, E]` are the router's operands; `probs`
    `[B, S, E]` and `indices` `[B, S, K]` are its forward results. The
    gradient flows through `dscores` `[B, S, K]` (from `moe.combine`) and
    `dprobs` `[B, S, E]` (from `moe.aux_loss`; `moe.fill 0.0` when the
    probabilities feed nothing). Results `dx`, `dweight`. The expert bias
    only changes the selection and gets no gradient; indices are not
    differentiable. `scoring`, `top_k` and `renormalize` are the router's
    (`top_k` must equal `K`).

    ```mlir
    %dx, %dw = moe.router_grad %x, %w, %probs, %indices, %dscores, %dprobs scoring = softmax top_k = 2 renormalize : tensor<2x16x64xf32>, tensor<64x8xf32>, tensor<2x16x8xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$x, MoE_FloatTensor:$weight,
                   MoE_FloatTensor:$probs, StaticShapeTensorOf<[I32]>:$indices,
                   MoE_FloatTensor:$dscores, MoE_FloatTensor:$dprobs,
                   MoE_ScoringAttr:$scoring, I64Attr:$top_k,
                   UnitAttr:$renormalize);
  let results = (outs MoE_FloatTensor:$dx, MoE_FloatTensor:$dweight);
  let assemblyFormat = [{
    $x `,` $weight `,` $probs `,` $indices `,` $dscores `,` $dprobs
    `scoring` `=` custom<Scoring>($scoring) `top_k` `=` $top_k
    (`renormalize` $renormalize^)? attr-dict
    `:` type($x) `,` type($weight) `,` type($probs) `,` type($indices) `,`
        type($dscores)
  }];
  let hasVerifier = 1;
}

def MoE_DispatchGradOp : MoE_Op<"dispatch_grad", [Pure,
    AttrSizedOperandSegments]> {
  let summary = "Gradient of moe.dispatch with respect to the tokens (and scores).";
  let description = [{
    `indices` `[B, S, K]` as in `moe.dispatch`, `dsorted` `[T*K, H]`; the
    result `dx` `[B, S, H]` (written explicitly, as the type of the
    dispatched `x`) sums, for every token, the gradients of its `K` copies:
    `dx[t] = sum_k dsorted[row(t, k)]`. Group sizes are not differentiable.

    For a dispatch with scores, `scores %s, %x` gives the forward's scores
    and tokens: `dx[t] = sum_k s[t, k] * dsorted[row(t, k)]` and the
    second result `dscores[t, k] = <dsorted[row(t, k)], x[t]>`.

    ```mlir
    %dx = moe.dispatch_grad %indices, %dsorted num_experts = 8 : tensor<2x16x2xi32>, tensor<64x64xf32> -> tensor<2x16x64xf32>
    %dx2, %ds = moe.dispatch_grad %indices, %dsorted scores %s, %x num_experts = 8 : tensor<2x16x2xi32>, tensor<64x64xf32>, tensor<2x16x2xf32>, tensor<2x16x64xf32> -> tensor<2x16x64xf32>, tensor<2x16x2xf32>
    ```
  }];
  let arguments = (ins MoE_TokenTensor:$indices, MoE_FloatTensor:$dsorted,
                   Optional<MoE_FloatTensor>:$scores,
                   Optional<MoE_FloatTensor>:$x, I64Attr:$num_experts);
  let results = (outs MoE_FloatTensor:$dx, Optional<MoE_FloatTensor>:$dscores);
  let assemblyFormat = [{
    $indices `,` $dsorted (`scores` $scores^ `,` $x)? `num_experts` `=`
    $num_experts attr-dict `:` type($indices) `,` type($dsorted)
    (`,` type($scores)^ `,` type($x))? `->` type($dx) (`,` type($dscores)^)?
  }];
  let hasVerifier = 1;
}

def MoE_ExpertsGradOp : MoE_Op<"experts_grad", [Pure,
    AllTypesMatch<["sorted", "dout", "dsorted"]>,
    AllTypesMatch<["w_gate", "dw_gate"]>, AllTypesMatch<["w_up", "dw_up"]>,
    AllTypesMatch<["w_down", "dw_down"]>]> {
  let summary = "Gradient of moe.experts.";
  let description = [{
    Operands of `moe.experts`, then `dout` `[N, H]`; results `dsorted`,
    `dw_gate`, `dw_up`, `dw_down`. Group sizes are not differentiable.
    Groups map to experts as in `moe.experts` (`g mod E`); an expert's
    weight gradients sum over all its groups; padding rows past the sizes'
    sum get a zero `dsorted` and add nothing.

    ```mlir
    %ds, %dwg, %dwu, %dwd = moe.experts_grad %sorted, %sizes, %wg, %wu, %wd, %dout : tensor<64x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$sorted,
                   MoE_GroupSizesTensor:$group_sizes,
                   MoE_FloatTensor:$w_gate, MoE_FloatTensor:$w_up,
                   MoE_FloatTensor:$w_down, MoE_FloatTensor:$dout);
  let results = (outs MoE_FloatTensor:$dsorted, MoE_FloatTensor:$dw_gate,
                      MoE_FloatTensor:$dw_up, MoE_FloatTensor:$dw_down);
  let assemblyFormat = [{
    $sorted `,` $group_sizes `,` $w_gate `,` $w_up `,` $w_down `,` $dout
    attr-dict `:` type($sorted) `,` type($group_sizes) `,` type($w_gate) `,`
    type($w_up) `,` type($w_down)
  }];
  let hasVerifier = 1;
}

def MoE_CombineGradOp : MoE_Op<"combine_grad", [Pure,
    AllTypesMatch<["expert_out", "dexpert_out"]>]> {
  let summary = "Gradient of moe.combine.";
  let description = [{
    Operands of `moe.combine`, then `dout` `[B, S, H]`; results
    `dexpert_out` `[T*K, H]` (`scores[t, k] * dout[t]` at `row(t, k)`) and
    `dscores` `[B, S, K]` (`<dout[t], expert_out[row(t, k)]>`).
    `num_experts` (`E`, which the row order depends on) is recovered by
    `moe-autodiff` from the router or dispatch that shares the indices
    (`CombineOp::findNumExperts`). Without scores (an unweighted combine)
    `dexpert_out` is `dout[t]` at `row(t, k)` and there is no `dscores`.

    ```mlir
    %deo, %dscores = moe.combine_grad %out, %indices, %scores, %dout num_experts = 8 : tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>, tensor<2x16x64xf32>
    %deo2 = moe.combine_grad %out, %indices, %dout num_experts = 8 : tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$expert_out, MoE_TokenTensor:$indices,
                   Optional<MoE_FloatTensor>:$scores, MoE_FloatTensor:$dout,
                   I64Attr:$num_experts);
  let results = (outs MoE_FloatTensor:$dexpert_out,
                      Optional<MoE_FloatTensor>:$dscores);
  // The scores are told apart from dout by count (three or four operands).
  let assemblyFormat = [{
    $expert_out `,` $indices `,` custom<ScoresThenDout>($scores, $dout)
    `num_experts` `=` $num_experts attr-dict `:` type($expert_out) `,`
    type($indices) `,` custom<ScoresThenDoutTypes>(type($scores), type($dout),
    type($dscores))
  }];
  let hasVerifier = 1;
}

def MoE_SharedExpertGradOp : MoE_Op<"shared_expert_grad", [Pure,
    InferTypeOpAdaptor, AllTypesMatch<["x", "dout"]>]> {
  let summary = "Gradient of moe.shared_expert.";
  let description = [{
    Operands of `moe.shared_expert` (with the optional sigmoid `gate`
    `[H, 1]`), then `dout` of the type of `x`; results `dx`, `dw_gate`,
    `dw_up`, `dw_down` and, exactly when `gate` is given, `dgate`.

    ```mlir
    %dx, %dwg, %dwu, %dwd = moe.shared_expert_grad %x, %wg, %wu, %wd, %dout : tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>
    %dx2, %dwg2, %dwu2, %dwd2, %dg = moe.shared_expert_grad %x, %wg, %wu, %wd gate %g, %dout : tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>, tensor<64x1xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$x, MoE_FloatTensor:$w_gate,
                   MoE_FloatTensor:$w_up, MoE_FloatTensor:$w_down,
                   Optional<MoE_FloatTensor>:$gate, MoE_FloatTensor:$dout);
  let results = (outs MoE_FloatTensor:$dx, MoE_FloatTensor:$dw_gate,
                      MoE_FloatTensor:$dw_up, MoE_FloatTensor:$dw_down,
                      Optional<MoE_FloatTensor>:$dgate);
  let assemblyFormat = [{
    $x `,` $w_gate `,` $w_up `,` $w_down (`gate` $gate^)? `,` $dout attr-dict
    `:` type($x) `,` type($w_gate) `,` type($w_up) `,` type($w_down)
        (`,` type($gate)^)?
  }];
  let hasVerifier = 1;
}

def MoE_AuxLossGradOp : MoE_Op<"aux_loss_grad", [Pure,
    AllTypesMatch<["probs", "dprobs"]>]> {
  let summary = "Gradient of moe.aux_loss with respect to the router probabilities.";
  let description = [{
    Operands and attributes of `moe.aux_loss`, then `dloss` of the loss's
    type; the result `dprobs[t, e] = dloss * coefficient * E * f_e / T`
    (the selection fractions `f_e` are constants). Indices are not
    differentiable.

    ```mlir
    %dprobs = moe.aux_loss_grad %probs, %indices, %dloss num_experts = 8 coefficient = 1.0e-02 : tensor<2x16x8xf32>, tensor<2x16x2xi32>, tensor<f32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$probs, MoE_TokenTensor:$indices,
                   MoE_ScalarTensor:$dloss, I64Attr:$num_experts,
                   F64Attr:$coefficient);
  let results = (outs MoE_FloatTensor:$dprobs);
  let assemblyFormat = [{
    $probs `,` $indices `,` $dloss `num_experts` `=` $num_experts
    `coefficient` `=` $coefficient attr-dict
    `:` type($probs) `,` type($indices) `,` type($dloss)
  }];
  let hasVerifier = 1;
}

def MoE_CrossEntropyGradOp : MoE_Op<"cross_entropy_grad", [Pure,
    AllTypesMatch<["logits", "dlogits"]>]> {
  let summary = "Gradient of moe.cross_entropy with respect to the logits.";
  let description = [{
    `logits` `[B, S, V]`, `targets` `[B, S]`, `dloss` of the loss's type;
    `dlogits[t] = dloss * (softmax(logits[t]) - onehot(targets[t])) / N`
    (the mean over the global batch): `N` is `num_tokens` when given, else
    `B*S`, as in `moe.cross_entropy`. Targets are not differentiable.

    ```mlir
    %dlogits = moe.cross_entropy_grad %logits, %targets, %dloss : tensor<2x16x256xf32>, tensor<2x16xi32>, tensor<f32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$logits, MoE_TokenTensor:$targets,
                   MoE_ScalarTensor:$dloss, OptionalAttr<I64Attr>:$num_tokens);
  let results = (outs MoE_FloatTensor:$dlogits);
  let assemblyFormat = [{
    $logits `,` $targets `,` $dloss (`num_tokens` `=` $num_tokens^)? attr-dict
    `:` type($logits) `,` type($targets) `,` type($dloss)
  }];
  let hasVerifier = 1;
}

#endif // MOEFOLD_DIALECT_MOE_IR_MOEGRADOPS_TD
