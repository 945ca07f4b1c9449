//===- PlacementVerification.cpp - check a placement against its mesh -----===//

#include "moefold/Dialect/SPMD/IR/PlacementVerification.h"

#include "moefold/Dialect/SPMD/IR/SPMDOps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/SmallVector.h"

using namespace mlir;
using namespace moefold::spmd;

LogicalResult moefold::spmd::verifyPlacementUse(
    Operation *user, PlacementAttr placement, ShapedType type,
    SymbolTableCollection &symbolTable) {
  FlatSymbolRefAttr meshRef = placement.getMesh();
  Operation *symbol =
      symbolTable.lookupNearestSymbolFrom(user, meshRef.getAttr());
  if (!symbol)
    return user->emitOpError("placement refers to unknown mesh ") << meshRef;
  auto mesh = dyn_cast<MeshOp>(symbol);
  if (!mesh)
    return user->emitOpError("placement mesh ")
           << meshRef << " is not an spmd.mesh";
  // A mesh that is itself malformed reports its own error; reading it here
  // could only produce a second, confusing one.
  if (!mesh.isValid())
    return success();

  // The attribute's verifier has checked the view name; an axis of an
  // unknown view is reported as not being in the view.
  StringRef view = placement.getView().getValue();

  // Every listed axis exists in the view; collect the sharded dims.
  SmallVector<std::pair<StringRef, int64_t>> viewAxes = mesh.getViewAxes(view);
  for (auto [axisAttr, axisPlacement] :
       llvm::zip(placement.getAxes(), placement.getPlacements())) {
    StringRef axis = axisAttr.getValue();
    if (!mesh.getAxisSize(view, axis)) {
      auto diag = user->emitOpError("placement ")
                  << placement << ": axis '" << axis
                  << "' is not an axis of the " << view << " view of mesh "
                  << meshRef << " (axes: ";
      llvm::interleaveComma(viewAxes, diag,
                            [&](auto entry) { diag << entry.first; });
      diag << ")";
      return diag;
    }
    if (!axisPlacement.isSharded() || !type.hasRank())
      continue;
    if (axisPlacement.getDim() >= type.getRank())
      return user->emitOpError("placement ")
             << placement << " shards dimension " << axisPlacement.getDim()
             << " on axis '" << axis << "' but the tensor " << type
             << " has rank " << type.getRank();
  }
  if (!type.hasRank())
    return success();

  // A static dimension must be divisible by the product of the sizes of the
  // axes that shard it.
  for (int64_t dim = 0, rank = type.getRank(); dim < rank; ++dim) {
    SmallVector<StringRef> shardingAxes;
    int64_t shards = 1;
    for (auto [axisAttr, axisPlacement] :
         llvm::zip(placement.getAxes(), placement.getPlacements())) {
      if (!axisPlacement.isSharded() || axisPlacement.getDim() != dim)
        continue;
      shardingAxes.push_back(axisAttr.getValue());
      shards *= *mesh.getAxisSize(view, axisAttr.getValue());
    }
    if (shardingAxes.empty() || type.isDynamicDim(dim))
      continue;
    int64_t size = type.getDimSize(dim);
    if (size % shards != 0)
      return user->emitOpError("placement ")
             << placement << " shards dimension " << dim << " of size "
             << size << " over " << llvm::join(shardingAxes, "*") << " = "
             << shards << " ranks, but " << size << " is not divisible by "
             << shards;
  }
  return success();
}
