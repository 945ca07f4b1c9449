//===- SPMDInterfaces.td - spmd op interfaces --------------*- tablegen -*-===//
//
// The interface every op that changes the local SPMD type of a value
// implements (the collectives, convert and reinterpret), so the local type
// checker and the transpose rules handle all of them the same way.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_SPMD_IR_SPMDINTERFACES_TD
#define MOEFOLD_DIALECT_SPMD_IR_SPMDINTERFACES_TD

include "mlir/IR/OpBase.td"

def SPMD_LocalTypeTransitionOpInterface
    : OpInterface<"LocalTypeTransitionOpInterface"> {
  let description = [{
    An op that takes one value of local SPMD type `src` on each of the listed
    axes of a mesh view and produces a value of type `dst` on those axes
    (types on the other axes of the view are unchanged). Its transpose (the
    op that carries the gradient back) turns `grad(dst)` into `grad(src)`.
  }];
  let cppNamespace = "::moefold::spmd";
  let methods = [
    InterfaceMethod<"The mesh the op runs on.",
      "::mlir::FlatSymbolRefAttr", "getMeshSymbol", (ins),
      [{ return $_op.getMeshAttr(); }]>,
    InterfaceMethod<"The view (`dense` or `expert`) the axes belong to.",
      "::llvm::StringRef", "getViewName", (ins),
      [{ return $_op.getView(); }]>,
    InterfaceMethod<"The axes the op runs over, in the order written.",
      "::llvm::SmallVector<::llvm::StringRef>", "getAxisNames", (ins),
      [{
        return ::llvm::map_to_vector($_op.getAxes(), [](::mlir::Attribute a) {
          return ::llvm::cast<::mlir::StringAttr>(a).getValue();
        });
      }]>,
    InterfaceMethod<"The local type of the operand on the listed axes.",
      "::moefold::spmd::LocalTypeKind", "getSrcKind", (ins),
      [{ return $_op.getSrc(); }]>,
    InterfaceMethod<"The local type of the result on the listed axes.",
      "::moefold::spmd::LocalTypeKind", "getDstKind", (ins),
      [{ return $_op.getDst(); }]>,
    InterfaceMethod<"The value whose local type changes.",
      "::mlir::Value", "getTypedOperand", (ins),
      [{ return $_op.getInput(); }]>,
    InterfaceMethod<"The value of local type `dst`.",
      "::mlir::Value", "getTypedResult", (ins),
      [{ return $_op.getResult(); }]>,
  ];
  let extraClassDeclaration = [{
    /// The (src, dst) pair of the transpose: (grad(dst), grad(src)).
    std::pair<::moefold::spmd::LocalTypeKind, ::moefold::spmd::LocalTypeKind>
    getTransposeKinds() {
      return {::moefold::spmd::getGradientKind(getDstKind()),
              ::moefold::spmd::getGradientKind(getSrcKind())};
    }
  }];
}

#endif // MOEFOLD_DIALECT_SPMD_IR_SPMDINTERFACES_TD
