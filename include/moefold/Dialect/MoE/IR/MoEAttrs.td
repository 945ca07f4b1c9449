//===- MoEAttrs.td - moe attributes ----------------------*- tablegen -*-===//

#ifndef MOEFOLD_DIALECT_MOE_IR_MOEATTRS_TD
#define MOEFOLD_DIALECT_MOE_IR_MOEATTRS_TD

include "moefold/Dialect/MoE/IR/MoEBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

class MoE_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<MoE_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

// PLACEHOLDER (skeleton only; replace with the real attributes).
def MoE_PlaceholderKind : I32EnumAttr<"PlaceholderKind", "placeholder", [
    I32EnumAttrCase<"A", 0, "a">]> {
  let cppNamespace = "::moefold::moe";
  let genSpecializedAttr = 0;
}
def MoE_PlaceholderKindAttr : EnumAttr<MoE_Dialect, MoE_PlaceholderKind, "placeholder_kind">;

#endif // MOEFOLD_DIALECT_MOE_IR_MOEATTRS_TD
