//===- MoEBase.td - moe dialect definition ---------------*- tablegen -*-===//
//
// The moe dialect: Mixture-of-Experts transformer ops at global semantics.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_MOE_IR_MOEBASE_TD
#define MOEFOLD_DIALECT_MOE_IR_MOEBASE_TD

include "mlir/IR/OpBase.td"

def MoE_Dialect : Dialect {
  let name = "moe";
  let cppNamespace = "::moefold::moe";
  let summary = "Mixture-of-Experts transformer ops at global (single-device) semantics.";
  let description = [{
    The `moe` dialect holds a Mixture-of-Experts transformer written once at
    global, single-device semantics: parameters declared with a family and a
    global placement, and the forward ops (embedding, rms_norm, linear,
    attention, swiglu, router, dispatch, experts, combine, shared expert,
    aux loss, cross-entropy, add). Later passes differentiate and partition it.

    ```mlir
    %h = moe.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : tensor<2x16x64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
    ```
  }];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    /// Defined next to the attribute storage classes (MoEAttrs.cpp).
    void registerAttributes();
  }];
  let dependentDialects = ["::moefold::spmd::SPMDDialect"];
}

class MoE_Op<string mnemonic, list<Trait> traits = []>
    : Op<MoE_Dialect, mnemonic, traits>;

#endif // MOEFOLD_DIALECT_MOE_IR_MOEBASE_TD
