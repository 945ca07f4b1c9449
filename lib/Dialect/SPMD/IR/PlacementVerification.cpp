//===- PlacementVerification.cpp - check a placement against its mesh -----===//
//
// STUB: only checks that the mesh symbol resolves. The full checks (axes in
// the view, dims in range, divisibility) arrive with the spmd.mesh op.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/SPMD/IR/PlacementVerification.h"

using namespace mlir;

LogicalResult moefold::spmd::verifyPlacementUse(
    Operation *user, PlacementAttr placement, ShapedType type,
    SymbolTableCollection &symbolTable) {
  if (!symbolTable.lookupNearestSymbolFrom(user, placement.getMesh()))
    return user->emitOpError("placement refers to unknown mesh ")
           << placement.getMesh();
  return success();
}
