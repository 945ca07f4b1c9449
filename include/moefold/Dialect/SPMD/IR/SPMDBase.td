//===- SPMDBase.td - spmd dialect definition ---------------*- tablegen -*-===//
//
// The spmd dialect: meshes with folded views, global placements, local SPMD
// types and typed collectives. It knows nothing about MoE.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_SPMD_IR_SPMDBASE_TD
#define MOEFOLD_DIALECT_SPMD_IR_SPMDBASE_TD

include "mlir/IR/OpBase.td"

def SPMD_Dialect : Dialect {
  let name = "spmd";
  let cppNamespace = "::moefold::spmd";
  let summary = "Meshes, placements, local SPMD types and typed collectives.";
  let description = [{
    The `spmd` dialect describes how a set of ranks is laid out (a mesh with
    named views that factorise the same rank set), how a global tensor is
    distributed over a view (placements `R`, `S(d)`, `P(sum|avg|max)`), and
    the per-rank programs that result: local SPMD types (`R`, `I`, `V`, `P`
    per mesh axis) and collectives whose verifiers enforce the typing rules.

    ```mlir
    spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
    ```
  }];
  let useDefaultAttributePrinterParser = 1;
  // Function arguments may carry `spmd.placement` (a global placement,
  // checked against its mesh with verifyPlacementUse) and `spmd.local` (a
  // local SPMD type).
  let hasRegionArgAttrVerify = 1;
  let extraClassDeclaration = [{
    /// Defined next to the attribute storage classes (SPMDAttrs.cpp).
    void registerAttributes();

    /// Argument attribute names this dialect verifies.
    static constexpr ::llvm::StringLiteral kPlacementArgAttrName =
        "spmd.placement";
    static constexpr ::llvm::StringLiteral kLocalArgAttrName = "spmd.local";
  }];
}

class SPMD_Op<string mnemonic, list<Trait> traits = []>
    : Op<SPMD_Dialect, mnemonic, traits>;

#endif // MOEFOLD_DIALECT_SPMD_IR_SPMDBASE_TD
