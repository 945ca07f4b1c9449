//===- StateOps.cpp - fill, states, and reads/writes of params and states -===//

#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "MoEOpUtils.h"

#include "mlir/IR/SymbolTable.h"

#include <cmath>

using namespace mlir;
using namespace moefold::moe;
using namespace moefold::moe::detail;

//===----------------------------------------------------------------------===//
// FillOp
//===----------------------------------------------------------------------===//

LogicalResult FillOp::verify() {
  double value = getValue().convertToDouble();
  if (!std::isfinite(value))
    return emitOpError("value must be finite, got ") << value;
  auto elementType = cast<FloatType>(getType().getElementType());
  APFloat converted = getValue();
  bool losesInfo = false;
  APFloat::opStatus status =
      converted.convert(elementType.getFloatSemantics(),
                        APFloat::rmNearestTiesToEven, &losesInfo);
  if (status & APFloat::opOverflow)
    return emitOpError("value ") << value << " overflows " << elementType;
  return success();
}

//===----------------------------------------------------------------------===//
// StateOp
//===----------------------------------------------------------------------===//

InitAttr StateOp::getEffectiveInit() {
  if (InitAttr init = getInitAttr())
    return init;
  return InitAttr::get(getContext(), InitKind::Zeros);
}

LogicalResult StateOp::verify() {
  auto tensor = dyn_cast<RankedTensorType>(getType());
  if (!tensor || !tensor.hasStaticShape() ||
      !isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(
          tensor.getElementType()))
    return emitOpError("type must be a statically shaped tensor of f16, "
                       "bf16, f32 or f64, got ")
           << getType();
  if (TypeAttr global = getGlobalTypeAttr())
    return ParamOp::verifyGlobalTypeShape(*this, tensor, global.getValue());
  if (getGlobalPlacementAttr())
    return emitOpError("has a global_placement but no global_type: the "
                       "placement describes the global tensor");
  return success();
}

LogicalResult StateOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  if (!getGlobalTypeAttr())
    return success();
  return ParamOp::verifyLocalType(*this, getTensorType(), getGlobalTensorType(),
                                  getGlobalPlacementAttr(), symbolTable);
}

//===----------------------------------------------------------------------===//
// Symbol uses: get_param, set_param, get_state, set_state
//===----------------------------------------------------------------------===//

/// Checks that `name` is a `SymbolOpT` (described as `kind`, "parameter" or
/// "state") whose type is exactly `type`, the op's `what` ("result type",
/// "value type").
template <typename SymbolOpT>
static LogicalResult verifyBufferUse(Operation *op, FlatSymbolRefAttr name,
                                     Type type, StringRef kind, StringRef what,
                                     SymbolTableCollection &symbolTable) {
  Operation *symbol = symbolTable.lookupNearestSymbolFrom(op, name);
  if (!symbol)
    return op->emitOpError("unknown ") << kind << " " << name;
  auto buffer = dyn_cast<SymbolOpT>(symbol);
  if (!buffer)
    return op->emitOpError()
           << name << " is a '" << symbol->getName() << "', not a '"
           << SymbolOpT::getOperationName() << "'";
  if (buffer.getType() != type)
    return op->emitOpError()
           << what << " " << type << " does not match the type "
           << buffer.getType() << " of " << kind << " " << name;
  return success();
}

LogicalResult GetParamOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyBufferUse<ParamOp>(*this, getNameAttr(), getType(), "parameter",
                                  "result type", symbolTable);
}

LogicalResult SetParamOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyBufferUse<ParamOp>(*this, getNameAttr(), getValue().getType(),
                                  "parameter", "value type", symbolTable);
}

LogicalResult GetStateOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyBufferUse<StateOp>(*this, getNameAttr(), getType(), "state",
                                  "result type", symbolTable);
}

LogicalResult SetStateOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyBufferUse<StateOp>(*this, getNameAttr(), getValue().getType(),
                                  "state", "value type", symbolTable);
}
