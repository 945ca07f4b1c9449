//===- SPMDDialect.cpp - spmd dialect registration ------------------------===//

#include "moefold/Dialect/SPMD/IR/SPMDDialect.h"

#include "moefold/Dialect/SPMD/IR/PlacementVerification.h"
#include "moefold/Dialect/SPMD/IR/SPMDAttrs.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace moefold::spmd;

#include "moefold/Dialect/SPMD/IR/SPMDOpsDialect.cpp.inc"

void SPMDDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "moefold/Dialect/SPMD/IR/SPMDOps.cpp.inc"
      >();
}

LogicalResult SPMDDialect::verifyRegionArgAttribute(Operation *op,
                                                    unsigned regionIndex,
                                                    unsigned argIndex,
                                                    NamedAttribute attribute) {
  StringRef name = attribute.getName().getValue();
  if (name == kLocalArgAttrName) {
    if (!isa<LocalTypeAttr>(attribute.getValue()))
      return op->emitOpError()
             << "argument " << argIndex << ": '" << name
             << "' must be a #spmd.local attribute, got "
             << attribute.getValue();
    return success();
  }
  if (name != kPlacementArgAttrName)
    return op->emitOpError() << "argument " << argIndex
                             << ": unknown spmd argument attribute '" << name
                             << "' (expected '" << kPlacementArgAttrName
                             << "' or '" << kLocalArgAttrName << "')";

  auto placement = dyn_cast<PlacementAttr>(attribute.getValue());
  if (!placement)
    return op->emitOpError()
           << "argument " << argIndex << ": '" << name
           << "' must be a #spmd.placement attribute, got "
           << attribute.getValue();
  // The argument's type: from the function type when the op is a function
  // (declarations have no entry block), else from the region's entry block.
  Type argType;
  if (auto func = dyn_cast<FunctionOpInterface>(op)) {
    if (argIndex < func.getNumArguments())
      argType = func.getArgumentTypes()[argIndex];
  } else if (regionIndex < op->getNumRegions() &&
             !op->getRegion(regionIndex).empty() &&
             argIndex < op->getRegion(regionIndex).getNumArguments()) {
    argType = op->getRegion(regionIndex).getArgument(argIndex).getType();
  }
  auto tensorType = dyn_cast_or_null<RankedTensorType>(argType);
  if (!tensorType)
    return op->emitOpError() << "argument " << argIndex << ": '" << name
                             << "' needs a ranked tensor argument, got "
                             << argType;
  // Runs while the enclosing module may still be verifying; the lookup only
  // reads the symbol table and verifyPlacementUse stays silent on a mesh
  // that is itself malformed.
  SymbolTableCollection symbolTable;
  return verifyPlacementUse(op, placement, tensorType, symbolTable);
}
