//===- MoEDialect.cpp - moe dialect registration and loss marking ---------===//

#include "moefold/Dialect/MoE/IR/MoEDialect.h"

#include "moefold/Dialect/MoE/IR/MoEAttrs.h"
#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace moefold::moe;

#include "moefold/Dialect/MoE/IR/MoEOpsDialect.cpp.inc"

void MoEDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "moefold/Dialect/MoE/IR/MoEOps.cpp.inc"
      >();
}

/// `moe.grad_of = @param` names the parameter a gradient result belongs to;
/// the result type must be the parameter's.
static LogicalResult verifyGradOfAttribute(Operation *op, unsigned resultIndex,
                                           NamedAttribute attr) {
  StringRef name = MoEDialect::kGradOfAttrName;
  auto ref = dyn_cast<FlatSymbolRefAttr>(attr.getValue());
  if (!ref)
    return op->emitError() << "'" << name
                           << "' must be a flat symbol reference, got "
                           << attr.getValue();
  auto param = dyn_cast_or_null<ParamOp>(
      SymbolTable::lookupNearestSymbolFrom(op, ref.getAttr()));
  if (!param)
    return op->emitError() << "'" << name << "' of result #" << resultIndex
                           << " refers to " << ref
                           << ", which is not a 'moe.param'";
  Type type = cast<FunctionOpInterface>(op).getResultTypes()[resultIndex];
  if (type != param.getType())
    return op->emitError() << "'" << name << "' result #" << resultIndex
                           << " has type " << type << ", but parameter " << ref
                           << " has type " << param.getType();
  return success();
}

/// `moe.loss` marks the one result of a function that is the training loss:
/// a unit attribute on a 0-d float tensor result, at most once per function.
LogicalResult MoEDialect::verifyRegionResultAttribute(Operation *op,
                                                      unsigned regionIndex,
                                                      unsigned resultIndex,
                                                      NamedAttribute attr) {
  if (attr.getName() == kGradOfAttrName)
    return verifyGradOfAttribute(op, resultIndex, attr);
  if (attr.getName() != kLossAttrName)
    return op->emitError() << "unknown moe result attribute '"
                           << attr.getName().getValue() << "'";
  if (!isa<UnitAttr>(attr.getValue()))
    return op->emitError() << "'" << kLossAttrName
                           << "' must be a unit attribute, got "
                           << attr.getValue();
  // Only function-like ops verify region result attributes.
  auto function = cast<FunctionOpInterface>(op);
  Type type = function.getResultTypes()[resultIndex];
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || tensor.getRank() != 0 ||
      !isa<FloatType>(tensor.getElementType()))
    return op->emitError() << "'" << kLossAttrName << "' result #"
                           << resultIndex << " must be a 0-d float tensor, got "
                           << type;
  for (unsigned i = 0; i < resultIndex; ++i)
    if (function.getResultAttr(i, kLossAttrName))
      return op->emitError()
             << "'" << kLossAttrName << "' marks results #" << i << " and #"
             << resultIndex << "; a function has at most one loss";
  return success();
}
