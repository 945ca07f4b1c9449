//===- PrintRankTables.cpp - print rank coordinates and groups ------------===//
//
// Implements spmd-print-rank-tables: the human-readable view of what the
// placement algebra derives from each spmd.mesh.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/SPMD/Transforms/Passes.h"

#include "moefold/Dialect/SPMD/IR/MeshLayoutBridge.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"
#include "moefold/Placement/MeshLayout.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace moefold::spmd {
#define GEN_PASS_DEF_SPMDPRINTRANKTABLESPASS
#include "moefold/Dialect/SPMD/Transforms/Passes.h.inc"
} // namespace moefold::spmd

using namespace mlir;
using namespace moefold;
using namespace moefold::spmd;

namespace {
struct SPMDPrintRankTablesPass
    : spmd::impl::SPMDPrintRankTablesPassBase<SPMDPrintRankTablesPass> {
  void runOnOperation() override {
    bool failed = false;
    getOperation().walk([&](MeshOp mesh) {
      FailureOr<placement::MeshLayout> layout = getMeshLayout(mesh);
      if (failed |= mlir::failed(layout))
        return;
      llvm::outs() << "// mesh @" << mesh.getSymName() << "\n";
      layout->print(llvm::outs());
      llvm::outs() << "\n";
    });
    if (failed)
      signalPassFailure();
  }
};
} // namespace
