//===- Passes.td - spmd passes ------------------------------*- tablegen -*-===//

#ifndef MOEFOLD_DIALECT_SPMD_TRANSFORMS_PASSES_TD
#define MOEFOLD_DIALECT_SPMD_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def SPMDPrintRankTablesPass
    : Pass<"spmd-print-rank-tables", "::mlir::ModuleOp"> {
  let summary = "Prints every mesh's rank coordinates and communicator groups.";
  let description = [{
    For each `spmd.mesh` in the module, prints the resolved sizes of both
    views, the rank groups of every axis (the tables communicators are built
    from, cross-lane EP groups included) and every rank's coordinates in the
    dense and expert views. The IR is left unchanged. The tables come from
    the placement algebra (`lib/Placement`), so the runtime never recomputes
    them.

    ```mlir
    spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
    ```

    prints, among other lines, `expert.ep   groups: {0,1,2,3}`.
  }];
}

#endif // MOEFOLD_DIALECT_SPMD_TRANSFORMS_PASSES_TD
