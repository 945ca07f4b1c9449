//===- SPMDAttrs.td - spmd attributes ----------------------*- tablegen -*-===//

#ifndef MOEFOLD_DIALECT_SPMD_IR_SPMDATTRS_TD
#define MOEFOLD_DIALECT_SPMD_IR_SPMDATTRS_TD

include "moefold/Dialect/SPMD/IR/SPMDBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

class SPMD_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<SPMD_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

// PLACEHOLDER (skeleton only; replace with the real attributes).
def SPMD_PlaceholderKind : I32EnumAttr<"PlaceholderKind", "placeholder", [
    I32EnumAttrCase<"A", 0, "a">]> {
  let cppNamespace = "::moefold::spmd";
  let genSpecializedAttr = 0;
}
def SPMD_PlaceholderKindAttr : EnumAttr<SPMD_Dialect, SPMD_PlaceholderKind, "placeholder_kind">;

#endif // MOEFOLD_DIALECT_SPMD_IR_SPMDATTRS_TD
