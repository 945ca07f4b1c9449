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

def SPMDVerifyTypesPass : Pass<"spmd-verify-types", "::mlir::ModuleOp"> {
  let summary = "Checks the local SPMD types (R, I, V, P) of per-rank programs.";
  let description = [{
    Runs the local SPMD type checker on every function with at least one
    argument typed `spmd.local`: infers every value's type on every mesh axis
    from the arguments, the typed collectives and the ops in between, and
    reports each violation of the rules of `docs/spmd-types.md` as an error
    naming the value, the mesh axis and the types involved, with notes at
    the places those types came from. The compiler runs it on its own
    per-rank output; it works the same on hand-written local IR.

    ```mlir
    spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]
    func.func @f(%x: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = I}>},
                 %w: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>}) -> tensor<4x4xf32> {
      // error: cannot mix I and V on axis tp of @mesh[dense]
      %y = moe.linear %x, %w : tensor<4x8xf32>, tensor<8x4xf32>
      return %y : tensor<4x4xf32>
    }
    ```

    With `print-types`, every op result of a checked function gets its
    inferred types as the discardable attribute `spmd.types` (one
    `#spmd.local` per view, or `"constant"`), so tests can check the
    inference.
  }];
  let options = [
    Option<"printTypes", "print-types", "bool", /*default=*/"false",
           "Annotate every op result with its inferred types (spmd.types).">,
  ];
}

#endif // MOEFOLD_DIALECT_SPMD_TRANSFORMS_PASSES_TD
