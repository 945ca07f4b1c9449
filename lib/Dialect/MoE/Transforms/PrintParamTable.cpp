//===- PrintParamTable.cpp - print parameters and their local shapes ------===//
//
// Implements moe-print-param-table: what each rank will hold of every
// parameter, derived from the parameter's placement and its mesh.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/MoE/Transforms/Passes.h"

#include "moefold/Dialect/MoE/IR/MoEOps.h"
#include "moefold/Dialect/SPMD/IR/MeshLayoutBridge.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

namespace moefold::moe {
#define GEN_PASS_DEF_MOEPRINTPARAMTABLEPASS
#include "moefold/Dialect/MoE/Transforms/Passes.h.inc"
} // namespace moefold::moe

using namespace mlir;
using namespace moefold;
using namespace moefold::moe;

static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(shape, os, "x");
  return shape.empty() ? "scalar" : text;
}

namespace {
struct MoEPrintParamTablePass
    : moe::impl::MoEPrintParamTablePassBase<MoEPrintParamTablePass> {
  void runOnOperation() override;
};
} // namespace

void MoEPrintParamTablePass::runOnOperation() {
  ModuleOp module = getOperation();
  SymbolTableCollection symbolTable;
  // Layouts are built once per mesh, not once per parameter.
  llvm::StringMap<placement::MeshLayout> layouts;
  bool failed = false;
  int64_t totalElements = 0;
  raw_ostream &os = llvm::outs();
  os << llvm::formatv("{0,-34} {1,-14} {2,-7} {3,-14} {4,-24} {5}\n", "param",
                      "family", "view", "global", "placement", "local");
  module.walk([&](ParamOp param) {
    RankedTensorType type = param.getTensorType();
    totalElements += type.getNumElements();
    std::string placementText = "replicated";
    std::string localText = formatShape(type.getShape());
    StringRef view = ParamOp::getViewForFamily(param.getFamily());
    if (std::optional<spmd::PlacementAttr> attr = param.getPlacement()) {
      view = attr->getView().getValue();
      auto mesh = symbolTable.lookupNearestSymbolFrom<spmd::MeshOp>(
          param, attr->getMesh());
      if (!mesh) {
        param.emitOpError("placement refers to unknown mesh ")
            << attr->getMesh();
        failed = true;
        return;
      }
      auto it = layouts.find(mesh.getSymName());
      if (it == layouts.end()) {
        FailureOr<placement::MeshLayout> layout = spmd::getMeshLayout(mesh);
        if (mlir::failed(layout)) {
          failed = true;
          return;
        }
        it = layouts.try_emplace(mesh.getSymName(), std::move(*layout)).first;
      }
      FailureOr<placement::TensorPlacement> tensorPlacement =
          spmd::getTensorPlacement(it->second, *attr,
                                   [&] { return param.emitOpError(); });
      if (mlir::failed(tensorPlacement)) {
        failed = true;
        return;
      }
      const placement::View *meshView = it->second.lookupView(view);
      llvm::Expected<SmallVector<int64_t, 4>> local =
          placement::getLocalShape(*meshView, type.getShape(),
                                   *tensorPlacement);
      if (!local) {
        param.emitOpError() << llvm::toString(local.takeError());
        failed = true;
        return;
      }
      llvm::raw_string_ostream(placementText = "") << *tensorPlacement;
      localText = formatShape(*local);
    }
    os << llvm::formatv("{0,-34} {1,-14} {2,-7} {3,-14} {4,-24} {5}\n",
                        param.getSymName(),
                        stringifyFamily(param.getFamily()), view,
                        formatShape(type.getShape()), placementText,
                        localText);
  });
  os << "total parameters: " << totalElements << "\n";
  if (failed)
    signalPassFailure();
}
