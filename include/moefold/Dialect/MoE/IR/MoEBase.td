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
    moe.param @final_norm : tensor<64xf32> family = norm
    func.func @f(%x: tensor<2x16x64xf32>) -> tensor<2x16x64xf32> {
      %w = moe.get_param @final_norm : tensor<64xf32>
      %h = moe.rms_norm %x, %w epsilon = 1.0e-06 : tensor<2x16x64xf32>, tensor<64xf32>
      return %h : tensor<2x16x64xf32>
    }
    ```

    The loss of a training step is the function result marked `moe.loss`
    (a unit attribute on a 0-d float tensor result, at most one per
    function):

    ```mlir
    func.func @step(...) -> (tensor<f32> {moe.loss})
    ```

    `moe-autodiff` marks each gradient result of the functions it creates
    with the parameter it belongs to; the result type must equal the
    parameter's:

    ```mlir
    func.func @step_grad(...) -> (tensor<f32> {moe.loss}, tensor<64xf32> {moe.grad_of = @final_norm})
    ```
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasRegionResultAttrVerify = 1;
  let extraClassDeclaration = [{
    /// Defined next to the attribute storage classes (MoEAttrs.cpp).
    void registerAttributes();

    /// The function result attribute that marks the training loss.
    static constexpr ::llvm::StringLiteral kLossAttrName = "moe.loss";

    /// The function result attribute naming the parameter a gradient result
    /// belongs to (`{moe.grad_of = @param}`, set by moe-autodiff).
    static constexpr ::llvm::StringLiteral kGradOfAttrName = "moe.grad_of";
  }];
  let dependentDialects = ["::moefold::spmd::SPMDDialect"];
}

class MoE_Op<string mnemonic, list<Trait> traits = []>
    : Op<MoE_Dialect, mnemonic, traits>;

#endif // MOEFOLD_DIALECT_MOE_IR_MOEBASE_TD
