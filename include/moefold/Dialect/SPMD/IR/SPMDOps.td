//===- SPMDOps.td - spmd operations ------------------------*- tablegen -*-===//

#ifndef MOEFOLD_DIALECT_SPMD_IR_SPMDOPS_TD
#define MOEFOLD_DIALECT_SPMD_IR_SPMDOPS_TD

include "moefold/Dialect/SPMD/IR/SPMDBase.td"
include "moefold/Dialect/SPMD/IR/SPMDAttrs.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

// PLACEHOLDER (skeleton only; replace with the real operations).
def SPMD_PlaceholderOp : SPMD_Op<"placeholder", [Pure]> {
  let summary = "Skeleton placeholder.";
  let arguments = (ins SPMD_ReductionKindAttr:$kind);
  let assemblyFormat = "$kind attr-dict";
}

#endif // MOEFOLD_DIALECT_SPMD_IR_SPMDOPS_TD
