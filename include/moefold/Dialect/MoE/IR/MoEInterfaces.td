//===- MoEInterfaces.td - moe op interfaces --------------*- tablegen -*-===//
//
// The vector-Jacobian product of a differentiable op, used by moe-autodiff.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_MOE_IR_MOEINTERFACES_TD
#define MOEFOLD_DIALECT_MOE_IR_MOEINTERFACES_TD

include "mlir/IR/OpBase.td"

def MoE_VJPOpInterface : OpInterface<"VJPOpInterface"> {
  let cppNamespace = "::moefold::moe";
  let description = [{
    An op whose reverse-mode derivative `moe-autodiff` can build. Given the
    gradients of the op's results, `buildVJP` emits, at the builder's
    insertion point, dialect ops computing the gradients of its operands
    (at global semantics, with the moe gradient ops of
    docs/design/training-step.md §2).

    For example `moe.linear %x, %w` with the result gradient `%dout`
    builds

    ```mlir
    %dx, %dw = moe.linear_grad %x, %w, %dout : tensor<2x16x64xf32>, tensor<64x32xf32>, tensor<2x16x32xf32>
    ```

    and reports `%dx` and `%dw` as the gradients of operands 0 and 1.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the gradients of the operands from `resultGrads` (one entry
        per result; a null Value means no gradient arrived at that result,
        i.e. it is zero). Fills `operandGrads` with one entry per operand:
        the gradient, of the operand's type, or a null Value where the
        operand is not differentiable (integer indices, the router bias) or
        its gradient is identically zero. Where a gradient op needs a
        gradient that did not arrive, the rule materialises it with
        `moe.fill 0.0`. Returns failure after emitting a diagnostic when the
        rule cannot be built.
      }],
      "::llvm::LogicalResult", "buildVJP",
      (ins "::mlir::OpBuilder &":$builder,
           "::llvm::ArrayRef<::mlir::Value>":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

#endif // MOEFOLD_DIALECT_MOE_IR_MOEINTERFACES_TD
