//===- MoEOps.td - moe operations ------------------------*- tablegen -*-===//

#ifndef MOEFOLD_DIALECT_MOE_IR_MOEOPS_TD
#define MOEFOLD_DIALECT_MOE_IR_MOEOPS_TD

include "moefold/Dialect/MoE/IR/MoEBase.td"
include "moefold/Dialect/MoE/IR/MoEAttrs.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

// PLACEHOLDER (skeleton only; replace with the real operations).
def MoE_PlaceholderOp : MoE_Op<"placeholder", [Pure]> {
  let summary = "Skeleton placeholder.";
  let arguments = (ins MoE_PlaceholderKindAttr:$kind);
  let assemblyFormat = "$kind attr-dict";
}

#endif // MOEFOLD_DIALECT_MOE_IR_MOEOPS_TD
