//===- MoEOps.td - moe operations ------------------------*- tablegen -*-===//
//
// Parameters and the global (single-device) forward ops of an MoE
// transformer. Shapes: B batch, S sequence, H hidden, V vocab, E experts,
// K top-k, F FFN width, T = B*S tokens.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_MOE_IR_MOEOPS_TD
#define MOEFOLD_DIALECT_MOE_IR_MOEOPS_TD

include "moefold/Dialect/MoE/IR/MoEBase.td"
include "moefold/Dialect/MoE/IR/MoEAttrs.td"
include "moefold/Dialect/MoE/IR/MoEInterfaces.td"
include "moefold/Dialect/SPMD/IR/SPMDAttrs.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

defvar MoE_FloatElementTypes = [F16, BF16, F32, F64];

def MoE_FloatTensor : StaticShapeTensorOf<MoE_FloatElementTypes>;
def MoE_TokenTensor : StaticShapeTensorOf<[I32, I64]>;
def MoE_GroupSizesTensor : StaticShapeTensorOf<[I32]>;
def MoE_ScalarTensor : 0DTensorOf<MoE_FloatElementTypes>;

// Fixed scalar types of the optimizer ops; buildable, so the custom forms
// need not spell them.
def MoE_F32Scalar : Type<And<[TensorOf<[F32]>.predicate, HasAnyRankOfPred<[0]>]>,
                         "0-d tensor of f32", "::mlir::TensorType">,
                    BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getF32Type())">;
def MoE_I1Scalar : Type<And<[TensorOf<[I1]>.predicate, HasAnyRankOfPred<[0]>]>,
                        "0-d tensor of i1", "::mlir::TensorType">,
                   BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getI1Type())">;

//===----------------------------------------------------------------------===//
// Side-effect resources (MoEResources.h)
//===----------------------------------------------------------------------===//

def MoE_ParamResource : Resource<"::moefold::moe::ParamResource">;
def MoE_StateResource : Resource<"::moefold::moe::StateResource">;

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

def MoE_ParamOp : MoE_Op<"param", [
    Symbol, HasParent<"::mlir::ModuleOp">,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Declares a trainable parameter with its family, placement and initialisation.";
  let description = [{
    A module-level symbol for one trainable global tensor. `type` must be a
    statically shaped float tensor. `family` says what the parameter is for
    and decides its mesh view: `routed_expert` parameters are placed on the
    mesh's `expert` view, every other family on the `dense` view. Cheap
    family shape checks: `norm` weights have rank 1, `router` and
    `embedding` weights rank 2, `routed_expert` weights rank 3 (`[E, H, F]`
    or `[E, F, H]`).

    `placement` is optional; without one the parameter is replicated on
    every rank. `init` is optional; without one the family default applies
    (`ones` for `norm`, `normal(0.02)` otherwise, see `getEffectiveInit`).

    After `moe-partition`, `type` is the per-rank (local) type and the
    optional `global_type` keeps the global one (checkpoints and the
    parameter registry name global tensors). When `global_type` is present
    the placement is checked against it, and `type` must be the placement's
    local shape of `global_type` (the global shape with every sharded
    dimension divided by the sizes of the axes that shard it).

    ```mlir
    moe.param @layers.0.attn.wq : tensor<64x64xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = normal(0.02)
    moe.param @layers.0.moe.w_gate : tensor<8x64x128xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}>
    moe.param @final_norm : tensor<64xf32> family = norm
    // Partitioned over tp = 2: the local type, the global type kept.
    moe.param @layers.0.attn.wq : tensor<64x32xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> {global_type = tensor<64x64xf32>}
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    TypeAttr:$type,
    MoE_FamilyAttr:$family,
    OptionalAttr<SPMD_PlacementAttr>:$placement,
    OptionalAttr<MoE_InitAttr>:$init,
    OptionalAttr<TypeAttrOf<AnyRankedTensor>>:$global_type);
  // A parameter at global semantics: no global_type.
  let builders = [
    OpBuilder<(ins "::llvm::StringRef":$symName, "::mlir::Type":$type,
                   "Family":$family,
                   "::moefold::spmd::PlacementAttr":$placement,
                   "InitAttr":$init), [{
      build($_builder, $_state, symName, type, family, placement, init,
            ::mlir::TypeAttr());
    }]>
  ];
  let assemblyFormat = [{
    $sym_name `:` $type `family` `=` custom<Family>($family)
    (`placement` `=` custom<Placement>($placement)^)?
    (`init` `=` custom<InitSpec>($init)^)? attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The declared type as a ranked tensor (checked by the verifier).
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
    /// `init` if given, else the default of the family.
    InitAttr getEffectiveInit();
    /// The default initialisation of a family.
    static InitAttr getDefaultInit(::mlir::MLIRContext *ctx, Family family);
    /// The mesh view a family's placement must use (`dense` or `expert`).
    static ::llvm::StringRef getViewForFamily(Family family);
    /// The global type: `global_type` when present (a partitioned module),
    /// else `type`.
    ::mlir::RankedTensorType getGlobalTensorType() {
      if (auto global = getGlobalTypeAttr())
        return ::llvm::cast<::mlir::RankedTensorType>(global.getValue());
      return getTensorType();
    }
    /// Shared by moe.param and moe.state: `globalType` must be a statically
    /// shaped tensor of `localType`'s element type and rank.
    static ::mlir::LogicalResult
    verifyGlobalTypeShape(::mlir::Operation *op,
                          ::mlir::RankedTensorType localType,
                          ::mlir::Type globalType);
    /// Shared by moe.param and moe.state: `placement` (null: replicated) is
    /// checked against `globalType`, and `localType` must be its local
    /// shape of `globalType`.
    static ::mlir::LogicalResult
    verifyLocalType(::mlir::Operation *op, ::mlir::RankedTensorType localType,
                    ::mlir::RankedTensorType globalType,
                    ::moefold::spmd::PlacementAttr placement,
                    ::mlir::SymbolTableCollection &symbolTable);
  }];
}

def MoE_GetParamOp : MoE_Op<"get_param", [
    MemoryEffects<[MemRead<MoE_ParamResource>]>,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Reads a parameter.";
  let description = [{
    Yields the value of the `moe.param` named `name`. The result type must
    equal the parameter's type exactly. It reads the parameter storage (a
    `moe.set_param` before it is observed; reads are not moved across
    writes), and is where `moe-autodiff` collects a parameter's gradient.

    ```mlir
    %wq = moe.get_param @layers.0.attn.wq : tensor<64x64xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Dense layers
//===----------------------------------------------------------------------===//

def MoE_EmbeddingOp : MoE_Op<"embedding", [Pure,
    DeclareOpInterfaceMethods<MoE_VJPOpInterface>, InferTypeOpAdaptor]> {
  let summary = "Looks up token embeddings.";
  let description = [{
    `table` is `[V, H]`, `tokens` is `[B, S]` (i32 or i64); the result is
    `[B, S, H]` with `result[b, s] = table[tokens[b, s]]`.

    ```mlir
    %h = moe.embedding %table, %tokens : tensor<256x64xf32>, tensor<2x16xi32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$table, MoE_TokenTensor:$tokens);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = [{
    $table `,` $tokens attr-dict `:` type($table) `,` type($tokens)
  }];
}

def MoE_RMSNormOp : MoE_Op<"rms_norm", [Pure,
    DeclareOpInterfaceMethods<MoE_VJPOpInterface>, InferTypeOpAdaptor]> {
  let summary = "Root-mean-square normalisation over the last dimension.";
  let description = [{
    `x` is `[..., H]`, `weight` is `[H]`; the result has the type of `x`:
    `x * rsqrt(mean(x^2, -1) + epsilon) * weight`. `epsilon` defaults to
    1e-6 and must be positive.

    ```mlir
    %n = moe.rms_norm %x, %w epsilon = 1.0e-05 : tensor<2x16x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$x, MoE_FloatTensor:$weight,
                   DefaultValuedAttr<F64Attr, "1.0e-6">:$epsilon);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = [{
    $x `,` $weight (`epsilon` `=` $epsilon^)? attr-dict `:` type($x) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def MoE_LinearOp : MoE_Op<"linear", [Pure,
    DeclareOpInterfaceMethods<MoE_VJPOpInterface>, InferTypeOpAdaptor]> {
  let summary = "Matrix product with a weight stored [in, out].";
  let description = [{
    `x` is `[..., K]`, `weight` is `[K, N]`; the result is `[..., N]`,
    `x @ weight`. No bias.

    ```mlir
    %q = moe.linear %x, %wq : tensor<2x16x64xf32>, tensor<64x64xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$x, MoE_FloatTensor:$weight);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = [{
    $x `,` $weight attr-dict `:` type($x) `,` type($weight)
  }];  let hasVerifier = 1;
}

def MoE_AttentionOp : MoE_Op<"attention", [Pure,
    DeclareOpInterfaceMethods<MoE_VJPOpInterface>, InferTypeOpAdaptor]> {
  let summary = "Multi-head scaled dot-product attention with grouped KV heads.";
  let description = [{
    `q` is `[B, S, Nq*D]`, `k` and `v` are `[B, S, Nkv*D]` with
    `Nq = num_heads`, `Nkv = num_kv_heads`; the head dimension `D` is
    derived from `q`. Grouped-query attention: `Nq % Nkv == 0` and query
    head `h` reads kv head `h / (Nq / Nkv)`. Scores are scaled by
    `1/sqrt(D)`; `causal` masks keys after the query position. The result
    has the type of `q` (heads concatenated, before the output projection).

    With `rope_theta = θ` (optional; absent = no rotary embedding) every
    query and key head is rotated first, in the half-split ("rotate_half")
    convention of Hugging Face's Llama/Mixtral: at sequence position `p`
    (0 .. S-1 in every batch row), element `i < D/2` of a head pairs with
    element `i + D/2` and the pair rotates by `p · θ^(-2i/D)`:
    `y[i] = x[i]·cos − x[i+D/2]·sin`, `y[i+D/2] = x[i+D/2]·cos + x[i]·sin`.
    `θ` must be positive and finite and `D` even.

    With `qk_norm %qn, %kn` (Qwen3), every query and key head is RMS-normalised
    over its `D` elements before the rotation: `x * rsqrt(mean(x^2) + ε) * w`
    with the `[D]` weight `qn` for query heads and `kn` for key heads (shared by
    all heads). `epsilon = ε` (default 1e-6) is allowed only with `qk_norm`.

    ```mlir
    %a = moe.attention %q, %k, %v num_heads = 4 num_kv_heads = 2 causal : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
    %r = moe.attention %q, %k, %v num_heads = 4 num_kv_heads = 2 causal rope_theta = 1.0e+04 : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
    %n = moe.attention %q, %k, %v qk_norm %qn, %kn num_heads = 4 num_kv_heads = 2 causal rope_theta = 1.0e+06 epsilon = 1.0e-06 : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<16xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$q, MoE_FloatTensor:$k,
                   MoE_FloatTensor:$v, Variadic<MoE_FloatTensor>:$qk_norm,
                   I64Attr:$num_heads,
                   I64Attr:$num_kv_heads, UnitAttr:$causal,
                   OptionalAttr<F64Attr>:$rope_theta,
                   OptionalAttr<F64Attr>:$epsilon);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`qk_norm` $qk_norm^)?
    `num_heads` `=` $num_heads `num_kv_heads` `=` $num_kv_heads
    (`causal` $causal^)? (`rope_theta` `=` $rope_theta^)?
    (`epsilon` `=` $epsilon^)? attr-dict
    `:` type($q) `,` type($k) `,` type($v) (`,` type($qk_norm)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The per-head dimension D (valid once verified).
    int64_t getHeadDim();
    /// The q/k norm weights, or null without `qk_norm`.
    mlir::Value getQNorm() { return getQkNorm().empty() ? mlir::Value() : getQkNorm()[0]; }
    mlir::Value getKNorm() { return getQkNorm().size() < 2 ? mlir::Value() : getQkNorm()[1]; }
  }];
}

def MoE_SwiGLUOp : MoE_Op<"swiglu", [Pure,
    DeclareOpInterfaceMethods<MoE_VJPOpInterface>, AllTypesMatch<["gate", "up", "result"]>]> {
  let summary = "Elementwise silu(gate) * up.";
  let description = [{
    `gate` and `up` have the same type, which is the result type.

    ```mlir
    %h = moe.swiglu %g, %u : tensor<2x16x128xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$gate, MoE_FloatTensor:$up);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = "$gate `,` $up attr-dict `:` type($result)";
}

def MoE_AddOp : MoE_Op<"add", [Pure,
    DeclareOpInterfaceMethods<MoE_VJPOpInterface>, Commutative,
                               AllTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "Elementwise sum of two tensors of the same type.";
  let description = [{
    Residual connections and the sum of losses.

    ```mlir
    %h = moe.add %x, %attn : tensor<2x16x64xf32>
    %loss = moe.add %ce, %aux : tensor<f32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$lhs, MoE_FloatTensor:$rhs);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Mixture of experts
//===----------------------------------------------------------------------===//

def MoE_RouterOp : MoE_Op<"router", [Pure,
    DeclareOpInterfaceMethods<MoE_VJPOpInterface>, InferTypeOpAdaptor]> {
  let summary = "Scores experts per token and selects the top-k.";
  let description = [{
    `x` is `[B, S, H]`, `weight` is `[H, E]`, the optional `bias` is `[E]`.
    Expert logits `x @ weight` are scored with `scoring` (softmax over the
    experts, or an independent sigmoid) into `probs` `[B, S, E]`. The
    `top_k` experts per token (`1 <= top_k <= E`) are selected by
    `probs + bias`: the bias (aux-loss-free load balancing, DeepSeek-V3)
    changes only *which* experts are selected, never their weights.
    `scores` `[B, S, K]` are the selected experts' probabilities,
    divided by their sum per token when `renormalize` is set; `indices`
    `[B, S, K]` (i32) are the selected experts in descending score order.

    ```mlir
    %scores, %indices, %probs = moe.router %x, %w scoring = softmax top_k = 2 renormalize : tensor<2x16x64xf32>, tensor<64x8xf32>
    %s2, %i2, %p2 = moe.router %x, %w bias %b scoring = sigmoid top_k = 2 : tensor<2x16x64xf32>, tensor<64x8xf32>, tensor<8xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$x, MoE_FloatTensor:$weight,
                   Optional<MoE_FloatTensor>:$bias, MoE_ScoringAttr:$scoring,
                   I64Attr:$top_k, UnitAttr:$renormalize);
  let results = (outs MoE_FloatTensor:$scores,
                      StaticShapeTensorOf<[I32]>:$indices,
                      MoE_FloatTensor:$probs);
  let assemblyFormat = [{
    $x `,` $weight (`bias` $bias^)? `scoring` `=` custom<Scoring>($scoring)
    `top_k` `=` $top_k (`renormalize` $renormalize^)? attr-dict
    `:` type($x) `,` type($weight) (`,` type($bias)^)?
  }];
  let hasVerifier = 1;
}

def MoE_DispatchOp : MoE_Op<"dispatch", [Pure,
    DeclareOpInterfaceMethods<MoE_VJPOpInterface>, InferTypeOpAdaptor]> {
  let summary = "Permutes token copies into contiguous per-expert groups (dropless).";
  let description = [{
    `x` is `[B, S, H]`, `indices` is `[B, S, K]` with values in
    `[0, num_experts)`. Every token is copied once per selected expert; the
    `T*K` copies are sorted by expert, stable (row-major order of
    `(token, k)` within an expert). `sorted` is `[T*K, H]`; `group_sizes`
    `[num_experts]` (i32) counts the copies per expert. No token is ever
    dropped, so the shapes are static.

    With the optional `scores` `[B, S, K]` (the router's, "scores before
    the experts", Llama-4) each copy is scaled as it is placed:
    `sorted[row(t, k)] = scores[t, k] * x[t]`; the matching `moe.combine`
    then sums without scores.

    ```mlir
    %sorted, %sizes = moe.dispatch %x, %indices num_experts = 8 : tensor<2x16x64xf32>, tensor<2x16x2xi32>
    %scaled, %sizes2 = moe.dispatch %x, %indices scores %scores num_experts = 8 : tensor<2x16x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$x, MoE_TokenTensor:$indices,
                   Optional<MoE_FloatTensor>:$scores, I64Attr:$num_experts);
  let results = (outs MoE_FloatTensor:$sorted,
                      MoE_GroupSizesTensor:$group_sizes);
  let assemblyFormat = [{
    $x `,` $indices (`scores` $scores^)? `num_experts` `=` $num_experts
    attr-dict `:` type($x) `,` type($indices) (`,` type($scores)^)?
  }];  let hasVerifier = 1;
}

def MoE_PeerCountsOp : MoE_Op<"peer_counts", [Pure, InferTypeOpAdaptor]> {
  let summary = "Sums per-expert row counts into per-peer counts (expert parallelism).";
  let description = [{
    `counts` is `[N]` (i32) with `N` a multiple of `peers`; the result is
    `[peers]` (i32), `result[p] = sum(counts[p*B : (p+1)*B])` with
    `B = N / peers`. With the `group_sizes` of a `moe.dispatch` over `E`
    experts, `peers = ep` ranks holding `E / ep` consecutive experts each,
    the result is how many of this rank's rows go to each peer (the send
    counts of the `spmd.all_to_all` of the folded dispatch); with the
    exchanged counts (`[ep][E/ep]`, peer-major) it is how many rows come
    from each peer. `moe-partition` emits it (docs/partition.md, "Expert
    parallelism and the folded dispatch").

    ```mlir
    %send = moe.peer_counts %sizes peers = 4 : tensor<8xi32>
    ```
  }];
  let arguments = (ins MoE_GroupSizesTensor:$counts, I64Attr:$peers);
  let results = (outs MoE_GroupSizesTensor:$result);
  let assemblyFormat = [{
    $counts `peers` `=` $peers attr-dict `:` type($counts)
  }];
  let hasVerifier = 1;
}

def MoE_ExpertsOp : MoE_Op<"experts", [Pure,
    DeclareOpInterfaceMethods<MoE_VJPOpInterface>, InferTypeOpAdaptor]> {
  let summary = "Grouped SwiGLU MLP: each row group through its own expert.";
  let description = [{
    `sorted` is `[N, H]` (rows grouped by expert, as produced by
    `moe.dispatch`), `w_gate` and `w_up` are `[E, H, F]`, `w_down` is
    `[E, F, H]`, `group_sizes` is `[G]` (i32) with `G = m * E`: the rows
    come in `G` contiguous groups and group `g` goes through expert
    `e = g mod E`, computing `(silu(x @ w_gate[e]) * (x @ w_up[e])) @
    w_down[e]`. In a global program `G = E` and the sizes sum to `N`. Under
    expert parallelism a rank holds `E / ep` experts and receives rows from
    each of `ep` peers, peer-major: `G = ep * (E / ep)` groups. The sizes
    may sum to less than `N`: the rows past the sum are padding (a static
    worst-case capacity), their outputs are zero. The result is `[N, H]`.

    ```mlir
    %y = moe.experts %sorted, %sizes, %wg, %wu, %wd : tensor<64x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$sorted,
                   MoE_GroupSizesTensor:$group_sizes,
                   MoE_FloatTensor:$w_gate, MoE_FloatTensor:$w_up,
                   MoE_FloatTensor:$w_down);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = [{
    $sorted `,` $group_sizes `,` $w_gate `,` $w_up `,` $w_down attr-dict
    `:` type($sorted) `,` type($group_sizes) `,` type($w_gate) `,`
        type($w_up) `,` type($w_down)
  }];
  let hasVerifier = 1;
}

def MoE_CombineOp : MoE_Op<"combine", [Pure,
    DeclareOpInterfaceMethods<MoE_VJPOpInterface>, InferTypeOpAdaptor]> {
  let summary = "Un-permutes expert outputs and sums them, weighted by the router scores if given.";
  let description = [{
    The inverse of `moe.dispatch`: `expert_out` is `[T*K, H]` in the
    dispatch order given by `indices` `[B, S, K]`; `scores` is `[B, S, K]`.
    The result is `[B, S, H]`,
    `result[b, s] = sum_k scores[b, s, k] * expert_out[row(b, s, k)]`.
    Without `scores` the copies are summed unweighted (the scores were
    applied before the experts, by `moe.dispatch ... scores`).

    ```mlir
    %y = moe.combine %out, %indices, %scores : tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>
    %z = moe.combine %out, %indices : tensor<64x64xf32>, tensor<2x16x2xi32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$expert_out, MoE_TokenTensor:$indices,
                   Optional<MoE_FloatTensor>:$scores);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = [{
    $expert_out `,` $indices (`,` $scores^)? attr-dict
    `:` type($expert_out) `,` type($indices) (`,` type($scores)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The number of experts the row order of `expert_out` depends on, which
    /// the op itself does not carry: the `num_experts` of a `moe.dispatch`
    /// or `moe.aux_loss` using the same `indices`, else the expert count of
    /// the `moe.router` that produced them; nullopt if none is found.
    std::optional<int64_t> findNumExperts();
  }];
}

def MoE_SharedExpertOp : MoE_Op<"shared_expert", [Pure,
    DeclareOpInterfaceMethods<MoE_VJPOpInterface>, InferTypeOpAdaptor]> {
  let summary = "SwiGLU MLP every token goes through, optionally sigmoid-gated.";
  let description = [{
    `x` is `[..., H]`, `w_gate` and `w_up` are `[H, F]`, `w_down` is
    `[F, H]`; the result has the type of `x`:
    `(silu(x @ w_gate) * (x @ w_up)) @ w_down`. With `gate` `[H, 1]`
    (Qwen-MoE), the output is multiplied by `sigmoid(x @ gate)`.

    ```mlir
    %y = moe.shared_expert %x, %wg, %wu, %wd : tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>
    %z = moe.shared_expert %x, %wg, %wu, %wd gate %g : tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>, tensor<64x1xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$x, MoE_FloatTensor:$w_gate,
                   MoE_FloatTensor:$w_up, MoE_FloatTensor:$w_down,
                   Optional<MoE_FloatTensor>:$gate);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = [{
    $x `,` $w_gate `,` $w_up `,` $w_down (`gate` $gate^)? attr-dict
    `:` type($x) `,` type($w_gate) `,` type($w_up) `,` type($w_down)
        (`,` type($gate)^)?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

def MoE_AuxLossOp : MoE_Op<"aux_loss", [Pure,
    DeclareOpInterfaceMethods<MoE_VJPOpInterface>, InferTypeOpAdaptor]> {
  let summary = "Switch/Mixtral load-balancing loss.";
  let description = [{
    `probs` is the router's `[B, S, E]`, `indices` its `[B, S, K]`
    selection, `E = num_experts`. With `f_e` the fraction of the `T*K`
    selections that picked expert `e` and `P_e` the mean router
    probability of `e` over the `T` tokens (both over the *global* batch),
    the result is `coefficient * E * sum_e f_e * P_e` (1.0 times the
    coefficient when perfectly balanced). The result is a 0-d tensor of f64
    for f64 probabilities and of f32 otherwise.

    ```mlir
    %aux = moe.aux_loss %probs, %indices num_experts = 8 coefficient = 1.0e-02 : tensor<2x16x8xf32>, tensor<2x16x2xi32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$probs, MoE_TokenTensor:$indices,
                   I64Attr:$num_experts, F64Attr:$coefficient);
  let results = (outs MoE_ScalarTensor:$result);
  let assemblyFormat = [{
    $probs `,` $indices `num_experts` `=` $num_experts
    `coefficient` `=` $coefficient attr-dict `:` type($probs) `,` type($indices)
  }];
  let hasVerifier = 1;
}

def MoE_CrossEntropyOp : MoE_Op<"cross_entropy", [Pure,
    DeclareOpInterfaceMethods<MoE_VJPOpInterface>, InferTypeOpAdaptor]> {
  let summary = "Mean token cross-entropy over the global batch.";
  let description = [{
    `logits` is `[B, S, V]`, `targets` `[B, S]` (i32 or i64, values in
    `[0, V)`). The result is the mean over all `B*S` tokens of
    `logsumexp(logits[b, s]) - logits[b, s, targets[b, s]]`, normalised by
    the *global* token count (so partitioned programs sum partial losses
    and never average): `num_tokens` when given (a per-rank program over
    part of the batch, at least `B*S`), else `B*S`. A 0-d tensor of f64 for
    f64 logits and of f32 otherwise.

    ```mlir
    %ce = moe.cross_entropy %logits, %targets : tensor<2x16x256xf32>, tensor<2x16xi32>
    %share = moe.cross_entropy %logits, %targets num_tokens = 64 : tensor<2x16x256xf32>, tensor<2x16xi32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$logits, MoE_TokenTensor:$targets,
                   OptionalAttr<I64Attr>:$num_tokens);
  let results = (outs MoE_ScalarTensor:$result);
  // The global-semantics form (no num_tokens).
  let builders = [OpBuilder<(ins "::mlir::Value":$logits,
                                 "::mlir::Value":$targets), [{
    build($_builder, $_state, logits, targets, ::mlir::IntegerAttr());
  }]>];
  let assemblyFormat = [{
    $logits `,` $targets (`num_tokens` `=` $num_tokens^)? attr-dict `:`
    type($logits) `,` type($targets)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Constants and persistent state, gradient ops, optimizer ops
//===----------------------------------------------------------------------===//

include "moefold/Dialect/MoE/IR/MoEStateOps.td"
include "moefold/Dialect/MoE/IR/MoEGradOps.td"
include "moefold/Dialect/MoE/IR/MoEVocabOps.td"
include "moefold/Dialect/MoE/IR/MoEOptimizerOps.td"

#endif // MOEFOLD_DIALECT_MOE_IR_MOEOPS_TD
