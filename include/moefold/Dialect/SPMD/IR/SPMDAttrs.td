//===- SPMDAttrs.td - spmd attributes ----------------------*- tablegen -*-===//
//
// Global placements (what the user annotates on global tensors) and local
// SPMD types (what the partitioned per-rank program is checked against).
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_SPMD_IR_SPMDATTRS_TD
#define MOEFOLD_DIALECT_SPMD_IR_SPMDATTRS_TD

include "moefold/Dialect/SPMD/IR/SPMDBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/EnumAttr.td"

class SPMD_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<SPMD_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def SPMD_ReductionKind : I32EnumAttr<"ReductionKind",
    "how a pending reduction combines the ranks of an axis", [
      I32EnumAttrCase<"Sum", 0, "sum">,
      I32EnumAttrCase<"Avg", 1, "avg">,
      I32EnumAttrCase<"Max", 2, "max">]> {
  let cppNamespace = "::moefold::spmd";
  let genSpecializedAttr = 0;
}
def SPMD_ReductionKindAttr
    : EnumAttr<SPMD_Dialect, SPMD_ReductionKind, "reduction"> {
  let assemblyFormat = "`<` $value `>`";
}

def SPMD_PlacementKind : I32EnumAttr<"PlacementKind",
    "how a global tensor is distributed over one view axis", [
      I32EnumAttrCase<"Replicated", 0, "R">,
      I32EnumAttrCase<"Sharded", 1, "S">,
      I32EnumAttrCase<"Partial", 2, "P">]> {
  let cppNamespace = "::moefold::spmd";
  let genSpecializedAttr = 0;
}

def SPMD_LocalTypeKind : I32EnumAttr<"LocalTypeKind",
    "local SPMD type of a per-rank value on one mesh axis", [
      I32EnumAttrCase<"Replicate", 0, "R">,
      I32EnumAttrCase<"Invariant", 1, "I">,
      I32EnumAttrCase<"Varying", 2, "V">,
      I32EnumAttrCase<"Partial", 3, "P">]> {
  let cppNamespace = "::moefold::spmd";
  let genSpecializedAttr = 0;
}
def SPMD_LocalTypeKindAttr
    : EnumAttr<SPMD_Dialect, SPMD_LocalTypeKind, "local_kind"> {
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// AxisPlacementAttr
//===----------------------------------------------------------------------===//

def SPMD_AxisPlacementAttr : SPMD_Attr<"AxisPlacement", "axis_placement"> {
  let summary = "Placement of a global tensor on one view axis: R, S(d) or P(kind).";
  let description = [{
    `R` replicates the tensor over the axis, `S(d)` shards tensor dimension
    `d` over it (the earlier-listed axis is the outer one when two axes shard
    the same dimension), and `P(sum|avg|max)` marks a reduction over the axis
    that is still pending. Usually written inside `#spmd.placement`.

    ```mlir
    #spmd.axis_placement<S(1)>
    ```
  }];
  let parameters = (ins
    "PlacementKind":$kind,
    DefaultValuedParameter<"int64_t", "-1">:$dim,
    DefaultValuedParameter<"ReductionKind", "ReductionKind::Sum">:$reduction);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    static AxisPlacementAttr getReplicated(::mlir::MLIRContext *ctx);
    static AxisPlacementAttr getSharded(::mlir::MLIRContext *ctx, int64_t dim);
    static AxisPlacementAttr getPartial(::mlir::MLIRContext *ctx,
                                        ReductionKind reduction);
    bool isReplicated() const { return getKind() == PlacementKind::Replicated; }
    bool isSharded() const { return getKind() == PlacementKind::Sharded; }
    bool isPartial() const { return getKind() == PlacementKind::Partial; }
    /// Prints the bare form (`R`, `S(1)`, `P(sum)`) used inside placements.
    void printBare(::mlir::AsmPrinter &printer) const;
    /// Parses the bare form.
    static AxisPlacementAttr parseBare(::mlir::AsmParser &parser);
  }];
}

//===----------------------------------------------------------------------===//
// PlacementAttr
//===----------------------------------------------------------------------===//

def SPMD_PlacementAttr : SPMD_Attr<"Placement", "placement"> {
  let summary = "Global placement of a tensor over the axes of one mesh view.";
  let description = [{
    Names the mesh (a symbol defined by `spmd.mesh`), the view (`dense` or
    `expert`) and, per axis of that view, an axis placement. Axes of the view
    that are not listed are replicated. Whether the listed axes exist in the
    view and whether a sharded dimension is in range are checked by the op
    that carries the placement, where the mesh and the tensor are known.

    ```mlir
    #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>
    #spmd.placement<@mesh[expert] {ep = S(0)}>
    #spmd.placement<@mesh[dense] {tp = P(sum)}>
    ```
  }];
  let parameters = (ins
    "::mlir::FlatSymbolRefAttr":$mesh,
    "::mlir::StringAttr":$view,
    ArrayRefParameter<"::mlir::StringAttr", "axis names">:$axes,
    ArrayRefParameter<"AxisPlacementAttr", "per-axis placements">:$placements);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The placement on `axis`; replicated when the axis is not listed.
    AxisPlacementAttr getPlacementFor(::llvm::StringRef axis) const;
    /// True when no axis shards or leaves a pending reduction.
    bool isFullyReplicated() const;
  }];
}

//===----------------------------------------------------------------------===//
// LocalTypeAttr
//===----------------------------------------------------------------------===//

def SPMD_LocalTypeAttr : SPMD_Attr<"LocalType", "local"> {
  let summary = "Local SPMD type of a per-rank value: R, I, V or P per mesh axis.";
  let description = [{
    How a value of the partitioned (per-rank) program and its gradient are
    distributed over each axis of one mesh view: `R` replicate (gradient P),
    `I` invariant (gradient I), `V` varying (gradient V), `P` partial
    (gradient R). Every axis the value is typed on is listed explicitly.

    ```mlir
    #spmd.local<@mesh[dense] {dp = V, tp = R}>
    ```
  }];
  let parameters = (ins
    "::mlir::FlatSymbolRefAttr":$mesh,
    "::mlir::StringAttr":$view,
    ArrayRefParameter<"::mlir::StringAttr", "axis names">:$axes,
    ArrayRefParameter<"LocalTypeKind", "per-axis local types">:$kinds);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The type on `axis`, or std::nullopt when the axis is not listed.
    std::optional<LocalTypeKind> getKindFor(::llvm::StringRef axis) const;
    /// The type of the gradient: R->P, I->I, V->V, P->R on every axis.
    LocalTypeAttr getGradientType() const;
  }];
}

#endif // MOEFOLD_DIALECT_SPMD_IR_SPMDATTRS_TD
