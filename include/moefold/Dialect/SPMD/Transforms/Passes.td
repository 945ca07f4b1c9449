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

def SPMDCommReportPass : Pass<"spmd-comm-report", "::mlir::ModuleOp"> {
  let summary = "Prints the bytes every collective of a per-rank program moves.";
  let description = [{
    For every function with typed `spmd` collectives, prints one line per
    collective (its location, kind, communicator group, group size and the
    bytes one rank sends and receives per call) and a per-call-of-the-function
    summary per (group, kind): calls and bytes. The byte model is the
    runtime's (`docs/comm.md`, "Byte accounting"), so the summary is what the
    runtime counters report for one step (`--comm-report` of the
    executable); `test/Integration/comm-report.test` checks they agree.

    A ragged `spmd.all_to_all` with constant equal counts is exact; with
    data-dependent counts it is printed as an upper bound (`<=`): its input
    rows sent, its result rows (the static capacity) received. `spmd.convert`
    and `spmd.reinterpret` move nothing and are not listed. The IR is left
    unchanged.

    ```
    // comm report @moefold_train_step (world 4)
    //   all_reduce     dense.tp     n=2  sent 1024  received 1024  loc("x.mlir":12:8)
    ```
  }];
  let options = [
    Option<"json", "json", "bool", /*default=*/"false",
           "Print one JSON object per function instead of the table.">,
  ];
}

#endif // MOEFOLD_DIALECT_SPMD_TRANSFORMS_PASSES_TD
