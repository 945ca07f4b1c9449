//===- Passes.td - moe passes -------------------------------*- tablegen -*-===//

#ifndef MOEFOLD_DIALECT_MOE_TRANSFORMS_PASSES_TD
#define MOEFOLD_DIALECT_MOE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def MoEPrintParamTablePass
    : Pass<"moe-print-param-table", "::mlir::ModuleOp"> {
  let summary = "Prints every parameter's family, placement and per-rank shape.";
  let description = [{
    For each `moe.param` in the module, prints its name, family, view,
    global shape, placement and the local shape every rank holds under that
    placement (computed by the placement algebra from the parameter's mesh).
    A placement the mesh cannot realise (for instance a dimension that the
    axis size does not divide) is reported as an error at the parameter.
    The IR is left unchanged.

    ```mlir
    moe.param @wq : tensor<64x64xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
    ```

    prints `wq  dense  dense  64x64  [dp=R, tp=S(1)]  64x32`.
  }];
  let dependentDialects = ["::moefold::spmd::SPMDDialect"];
}

#endif // MOEFOLD_DIALECT_MOE_TRANSFORMS_PASSES_TD
