//===- SPMDOps.td - spmd operations ------------------------*- tablegen -*-===//
//
// The mesh (a symbol op with two named views over one rank set) and the
// typed operations of per-rank programs: collectives whose verifiers enforce
// the local SPMD typing rules, plus convert and reinterpret.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_SPMD_IR_SPMDOPS_TD
#define MOEFOLD_DIALECT_SPMD_IR_SPMDOPS_TD

include "moefold/Dialect/SPMD/IR/SPMDBase.td"
include "moefold/Dialect/SPMD/IR/SPMDAttrs.td"
include "moefold/Dialect/SPMD/IR/SPMDInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

//===----------------------------------------------------------------------===//
// MeshOp
//===----------------------------------------------------------------------===//

def SPMD_MeshOp : SPMD_Op<"mesh", [Symbol, HasParent<"::mlir::ModuleOp">]> {
  let summary = "A set of ranks with a dense and an expert view over it.";
  let description = [{
    Declares `world` ranks and two factorisations of them into named axes,
    listed outermost first (the last axis is the fastest-varying one):

    - `dense = [dp, tp = T]` for attention, norms, embeddings and dense MLPs;
    - `expert = [edp, ep = E, etp = X]` for routed experts.

    Each view lists each of its axes exactly once, in any order. `dp` and
    `edp` are derived (`dp = world / tp`, `edp = world / (ep * etp)`) and are
    written without a size. The verifier rejects non-positive sizes, sizes on
    derived axes, unknown, duplicate or missing axes, and a `world` that the
    fixed axes do not divide. `etp` (expert tensor parallelism) must be 1 or
    equal `tp`: with `etp = tp` the etp groups are the tp groups (both
    innermost) and the ep groups join the ranks with the same tp index.

    Both views factorise the same ranks, so every rank has coordinates in
    both; EP may span TP lanes and DP ranks.

    ```mlir
    // world 8 = dp2 x tp4 = edp2 x ep4 x etp1
    spmd.mesh @mesh world = 8 dense = [dp, tp = 4] expert = [edp, ep = 4, etp = 1]
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    I64Attr:$world,
    StrArrayAttr:$dense_axes,
    DenseI64ArrayAttr:$dense_sizes,
    StrArrayAttr:$expert_axes,
    DenseI64ArrayAttr:$expert_sizes);
  let assemblyFormat = [{
    $sym_name `world` `=` $world
    `dense` `=` custom<MeshView>($dense_axes, $dense_sizes)
    `expert` `=` custom<MeshView>($expert_axes, $expert_sizes)
    attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Number of ranks the mesh spans.
    int64_t getWorldSize() { return getWorld(); }
    /// True for the views this mesh defines (`dense`, `expert`).
    bool hasView(::llvm::StringRef view);
    /// The axes of `view` in the order written (outermost first) with their
    /// sizes, derived axes resolved. Empty for an unknown view.
    ::llvm::SmallVector<std::pair<::llvm::StringRef, int64_t>>
    getViewAxes(::llvm::StringRef view);
    /// The resolved size of `axis` in `view`, or std::nullopt when the view
    /// has no such axis.
    std::optional<int64_t> getAxisSize(::llvm::StringRef view,
                                       ::llvm::StringRef axis);
    /// The distance in linear rank between neighbours along `axis` (the
    /// product of the sizes of the axes listed after it), or std::nullopt.
    std::optional<int64_t> getAxisStride(::llvm::StringRef view,
                                         ::llvm::StringRef axis);
    /// The product of the sizes of `axes` in `view` (the size of the group a
    /// collective over these axes runs in), or std::nullopt when an axis is
    /// not in the view.
    std::optional<int64_t> getGroupSize(::llvm::StringRef view,
                                        ::llvm::ArrayRef<::llvm::StringRef> axes);
    /// The axis names of `view` (dense: dp, tp; expert: edp, ep, etp).
    static ::llvm::ArrayRef<::llvm::StringRef>
    getAllowedAxes(::llvm::StringRef view);
    /// The derived axis of `view` (dp or edp).
    static ::llvm::StringRef getDerivedAxis(::llvm::StringRef view);
    /// True when the mesh satisfies every invariant its verifier checks.
    /// Quiet: lets code that may run before the mesh is verified (dialect
    /// attribute verifiers) skip a broken mesh, which reports its own error.
    bool isValid();
  }];
}

//===----------------------------------------------------------------------===//
// Typed operations: common parts
//===----------------------------------------------------------------------===//

// Every typed op names the mesh, the view and the axes it runs over, and the
// local SPMD type of its operand and result on those axes.
class SPMD_TypedOp<string mnemonic, list<Trait> traits = []>
    : SPMD_Op<mnemonic, !listconcat(traits, [
        DeclareOpInterfaceMethods<SymbolUserOpInterface>,
        SPMD_LocalTypeTransitionOpInterface])> {
  dag commonArgs = (ins
    FlatSymbolRefAttr:$mesh,
    StrAttr:$view,
    StrArrayAttr:$axes,
    SPMD_LocalTypeKindAttr:$src,
    SPMD_LocalTypeKindAttr:$dst);
  let hasVerifier = 1;
}

// Collectives are a rendezvous of every rank in the group: they have no
// memory effects, but must not be speculated onto paths the other ranks of
// the group do not take.
class SPMD_CollectiveOp<string mnemonic, list<Trait> traits = []>
    : SPMD_TypedOp<mnemonic, !listconcat(traits, [
        NoMemoryEffect,
        DeclareOpInterfaceMethods<ConditionallySpeculatable>])>;

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

def SPMD_AllReduceOp : SPMD_CollectiveOp<"all_reduce",
    [AllTypesMatch<["input", "result"]>]> {
  let summary = "Reduces a partial (or varying) value over the listed axes.";
  let description = [{
    Every rank of the group formed by `axes` receives the reduction
    (`reduction`, default `sum`) of the group's operands.

    Typing: `src` is `P` (or `V`, read as `P`, as spmd_types allows), `dst`
    is `R` or `I`. Transposes (gradient direction, `grad(dst) -> grad(src)`):

    | forward | transpose |
    |---|---|
    | `P -> R` | `spmd.all_reduce` `P -> R` |
    | `P -> I` | `spmd.convert` `I -> R` (no communication) |
    | `V -> R` | `spmd.all_reduce` `P -> R`, then reinterpret `R -> V` |
    | `V -> I` | `spmd.convert` `I -> R`, then reinterpret `R -> V` |

    ```mlir
    %r = spmd.all_reduce %x over @mesh[dense] [tp] (P -> R) : tensor<4x8xf32>
    %m = spmd.all_reduce %x over @mesh[dense] [dp, tp] (P -> I) reduction = max
        : tensor<4x8xf32>
    ```
  }];
  let arguments = !con((ins AnyRankedTensor:$input), commonArgs, (ins
    DefaultValuedAttr<SPMD_ReductionKindAttr,
                      "::moefold::spmd::ReductionKind::Sum">:$reduction));
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `over` custom<MeshAxes>($mesh, $view, $axes)
    custom<LocalTypePair>($src, $dst) (`reduction` `=` custom<Reduction>($reduction)^)?
    attr-dict `:` type($result)
  }];
  let builders = [
    // The result type is the operand's.
    OpBuilder<(ins "::mlir::Value":$input, "::mlir::FlatSymbolRefAttr":$mesh, "::llvm::StringRef":$view,
      "::llvm::ArrayRef<::llvm::StringRef>":$axes,
      "::moefold::spmd::LocalTypeKind":$src,
      "::moefold::spmd::LocalTypeKind":$dst,
      CArg<"::moefold::spmd::ReductionKind",
           "::moefold::spmd::ReductionKind::Sum">:$reduction), [{
      build($_builder, $_state, input.getType(), input, mesh, $_builder.getStringAttr(view),
            $_builder.getStrArrayAttr(axes),
            ::moefold::spmd::LocalTypeKindAttr::get($_builder.getContext(), src),
            ::moefold::spmd::LocalTypeKindAttr::get($_builder.getContext(), dst),
            ::moefold::spmd::ReductionKindAttr::get($_builder.getContext(), reduction));
    }]>
  ];
}

def SPMD_AllGatherOp : SPMD_CollectiveOp<"all_gather"> {
  let summary = "Concatenates the varying shards of the group along `dim`.";
  let description = [{
    Every rank of the group formed by `axes` receives the concatenation of
    the group's operands along tensor dimension `dim`, in group order (the
    first listed axis outermost). The result's `dim` is the operand's times
    the group size; every other dimension is unchanged.

    Typing: `src` is `V`, `dst` is `R` or `I`. Transposes:

    | forward | transpose |
    |---|---|
    | `V -> R` | `spmd.reduce_scatter` `P -> V` on the same `dim` |
    | `V -> I` | `spmd.convert` `I -> V` (local slice on `dim`) |

    ```mlir
    %g = spmd.all_gather %x over @mesh[dense] [tp] (V -> R) dim 1
        : tensor<4x4xf32> -> tensor<4x8xf32>
    ```
  }];
  let arguments = !con((ins AnyRankedTensor:$input), commonArgs,
                       (ins ConfinedAttr<I64Attr, [IntNonNegative]>:$dim));
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `over` custom<MeshAxes>($mesh, $view, $axes)
    custom<LocalTypePair>($src, $dst) `dim` $dim
    attr-dict `:` type($input) `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Type":$resultType, "::mlir::Value":$input,
      "::mlir::FlatSymbolRefAttr":$mesh, "::llvm::StringRef":$view,
      "::llvm::ArrayRef<::llvm::StringRef>":$axes,
      "::moefold::spmd::LocalTypeKind":$src,
      "::moefold::spmd::LocalTypeKind":$dst, "int64_t":$dim), [{
      build($_builder, $_state, resultType, input, mesh, $_builder.getStringAttr(view),
            $_builder.getStrArrayAttr(axes),
            ::moefold::spmd::LocalTypeKindAttr::get($_builder.getContext(), src),
            ::moefold::spmd::LocalTypeKindAttr::get($_builder.getContext(), dst),
            $_builder.getI64IntegerAttr(dim));
    }]>
  ];
}

def SPMD_ReduceScatterOp : SPMD_CollectiveOp<"reduce_scatter"> {
  let summary = "Reduces a partial value and keeps this rank's shard of it.";
  let description = [{
    Reduces the operands of the group formed by `axes` (`reduction`, default
    `sum`) and leaves on each rank its slice of the result along `dim`, in
    group order. The result's `dim` is the operand's divided by the group
    size, which must divide it.

    Typing: `src` is `P`, `dst` is `V`. Transpose:

    | forward | transpose |
    |---|---|
    | `P -> V` | `spmd.all_gather` `V -> R` on the same `dim` |

    ```mlir
    %s = spmd.reduce_scatter %x over @mesh[dense] [tp] (P -> V) dim 0
        : tensor<8x4xf32> -> tensor<4x4xf32>
    ```
  }];
  let arguments = !con((ins AnyRankedTensor:$input), commonArgs,
      (ins ConfinedAttr<I64Attr, [IntNonNegative]>:$dim,
           DefaultValuedAttr<SPMD_ReductionKindAttr,
                             "::moefold::spmd::ReductionKind::Sum">:$reduction));
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `over` custom<MeshAxes>($mesh, $view, $axes)
    custom<LocalTypePair>($src, $dst) `dim` $dim (`reduction` `=` custom<Reduction>($reduction)^)?
    attr-dict `:` type($input) `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Type":$resultType, "::mlir::Value":$input,
      "::mlir::FlatSymbolRefAttr":$mesh, "::llvm::StringRef":$view,
      "::llvm::ArrayRef<::llvm::StringRef>":$axes,
      "::moefold::spmd::LocalTypeKind":$src,
      "::moefold::spmd::LocalTypeKind":$dst, "int64_t":$dim,
      CArg<"::moefold::spmd::ReductionKind",
           "::moefold::spmd::ReductionKind::Sum">:$reduction), [{
      build($_builder, $_state, resultType, input, mesh, $_builder.getStringAttr(view),
            $_builder.getStrArrayAttr(axes),
            ::moefold::spmd::LocalTypeKindAttr::get($_builder.getContext(), src),
            ::moefold::spmd::LocalTypeKindAttr::get($_builder.getContext(), dst),
            $_builder.getI64IntegerAttr(dim), ::moefold::spmd::ReductionKindAttr::get($_builder.getContext(), reduction));
    }]>
  ];
}

def SPMD_AllToAllOp : SPMD_CollectiveOp<"all_to_all"> {
  let summary = "Ragged exchange of row blocks between the ranks of a group.";
  let description = [{
    Rank `r` sends its first `send_counts[0]` rows to group peer 0, the next
    `send_counts[1]` rows to peer 1, and so on, and receives
    `recv_counts[p]` rows from peer `p`, concatenated in peer order. Counts
    are 1-D integer tensors with one entry per peer (the group size); a count
    may be zero on any rank. Rows are the leading dimension; the trailing
    dimensions and the element type are unchanged, and the result's leading
    dimension is usually dynamic.

    Typing: `V -> V` only. Transpose:

    | forward | transpose |
    |---|---|
    | `V -> V` | `spmd.all_to_all` `V -> V` with `send_counts` and `recv_counts` swapped |

    ```mlir
    %y = spmd.all_to_all %x, %send, %recv over @mesh[expert] [ep] (V -> V)
        : tensor<64x16xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x16xf32>
    ```
  }];
  let arguments = !con((ins AnyRankedTensor:$input,
                            1DTensorOf<[AnySignlessInteger]>:$send_counts,
                            1DTensorOf<[AnySignlessInteger]>:$recv_counts),
                       commonArgs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $send_counts `,` $recv_counts
    `over` custom<MeshAxes>($mesh, $view, $axes)
    custom<LocalTypePair>($src, $dst)
    attr-dict `:` type($input) `,` type($send_counts) `,` type($recv_counts)
    `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Type":$resultType, "::mlir::Value":$input,
      "::mlir::Value":$sendCounts, "::mlir::Value":$recvCounts,
      "::mlir::FlatSymbolRefAttr":$mesh, "::llvm::StringRef":$view,
      "::llvm::ArrayRef<::llvm::StringRef>":$axes), [{
      auto varying = ::moefold::spmd::LocalTypeKindAttr::get(
          $_builder.getContext(), ::moefold::spmd::LocalTypeKind::Varying);
      build($_builder, $_state, resultType, input, sendCounts, recvCounts,
            mesh, $_builder.getStringAttr(view),
            $_builder.getStrArrayAttr(axes), varying, varying);
    }]>
  ];
}

//===----------------------------------------------------------------------===//
// Type conversions without communication
//===----------------------------------------------------------------------===//

def SPMD_ConvertOp : SPMD_TypedOp<"convert", [Pure]> {
  let summary = "Changes the local SPMD type without communication, keeping "
                "the global value.";
  let description = [{
    The conversions that need no communication and preserve the global
    (single-device) meaning of the value:

    | forward | local work | `dim` | transpose |
    |---|---|---|---|
    | `R -> V` | keep this rank's slice on `dim` | required | `convert V -> P` (zero-pad on `dim`) |
    | `I -> V` | keep this rank's slice on `dim` | required | `all_gather V -> I` on `dim` |
    | `V -> P` | zero-pad this rank's slice to full size on `dim` | required | `convert R -> V` (slice on `dim`) |
    | `I -> R` | none | - | `all_reduce P -> I` |
    | `R -> I` | none | - | `convert I -> P` |
    | `R -> P` | zero on every rank but the group's first | - | `convert R -> P` (self-dual) |
    | `I -> P` | zero on every rank but the group's first | - | `convert R -> I` |

    Every other pair needs communication; the verifier names the collective
    to use instead (`V -> R`/`I`: `spmd.all_gather`, `P -> R`/`I`:
    `spmd.all_reduce`, `P -> V`: `spmd.reduce_scatter`). A slice divides
    `dim` by the group size, a zero-pad multiplies it.

    ```mlir
    %c = spmd.convert %x over @mesh[dense] [tp] (R -> V) dim 0
        : tensor<8x4xf32> -> tensor<4x4xf32>
    %r = spmd.convert %w over @mesh[dense] [tp] (I -> R)
        : tensor<8xf32> -> tensor<8xf32>
    ```
  }];
  let arguments = !con((ins AnyRankedTensor:$input), commonArgs,
      (ins OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$dim));
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `over` custom<MeshAxes>($mesh, $view, $axes)
    custom<LocalTypePair>($src, $dst) (`dim` $dim^)?
    attr-dict `:` type($input) `->` type($result)
  }];
  let builders = [
    // `dim` only for the slicing and zero-padding conversions.
    OpBuilder<(ins "::mlir::Type":$resultType, "::mlir::Value":$input,
      "::mlir::FlatSymbolRefAttr":$mesh, "::llvm::StringRef":$view,
      "::llvm::ArrayRef<::llvm::StringRef>":$axes,
      "::moefold::spmd::LocalTypeKind":$src,
      "::moefold::spmd::LocalTypeKind":$dst, CArg<"std::optional<int64_t>", "std::nullopt">:$dim), [{
      build($_builder, $_state, resultType, input, mesh, $_builder.getStringAttr(view),
            $_builder.getStrArrayAttr(axes),
            ::moefold::spmd::LocalTypeKindAttr::get($_builder.getContext(), src),
            ::moefold::spmd::LocalTypeKindAttr::get($_builder.getContext(), dst),
            dim ? $_builder.getI64IntegerAttr(*dim) : ::mlir::IntegerAttr());
    }]>
  ];
}

def SPMD_ReinterpretOp : SPMD_TypedOp<"reinterpret",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Relabels the local SPMD type, keeping the local data as is.";
  let description = [{
    An explicit, visible "trust me": the local data of every rank is kept
    exactly as it is and only the type on the listed axes changes, so the
    global value may change (reinterpreting `R` as `P` multiplies it by the
    group size). Used at region boundaries, where the compiler hands values
    between conventions. Any pair of distinct types is allowed; operand and
    result types are the same.

    Transpose: `reinterpret grad(dst) -> grad(src)`, e.g. `V -> P`
    transposes to `R -> V`, `R -> P` to itself.

    ```mlir
    %i = spmd.reinterpret %x over @mesh[dense] [tp] (V -> P) : tensor<4xf32>
    ```
  }];
  let arguments = !con((ins AnyRankedTensor:$input), commonArgs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `over` custom<MeshAxes>($mesh, $view, $axes)
    custom<LocalTypePair>($src, $dst)
    attr-dict `:` type($result)
  }];
  let builders = [
    // The result type is the operand's.
    OpBuilder<(ins "::mlir::Value":$input, "::mlir::FlatSymbolRefAttr":$mesh, "::llvm::StringRef":$view,
      "::llvm::ArrayRef<::llvm::StringRef>":$axes,
      "::moefold::spmd::LocalTypeKind":$src,
      "::moefold::spmd::LocalTypeKind":$dst), [{
      build($_builder, $_state, input.getType(), input, mesh, $_builder.getStringAttr(view),
            $_builder.getStrArrayAttr(axes),
            ::moefold::spmd::LocalTypeKindAttr::get($_builder.getContext(), src),
            ::moefold::spmd::LocalTypeKindAttr::get($_builder.getContext(), dst));
    }]>
  ];
}

#endif // MOEFOLD_DIALECT_SPMD_IR_SPMDOPS_TD
