//===- MoEOps.cpp - moe parameters and shared op glue ---------------------===//
//
// Holds the generated op definitions, the custom assembly directives and
// moe.param. Layer, routing and loss ops are verified in LayerOps.cpp,
// RoutingOps.cpp and LossOps.cpp (through the shape rules of ShapeRules.h),
// gradient ops in GradOps.cpp, fill/state/buffer accesses in StateOps.cpp
// and optimizer ops in OptimizerOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "MoEOpUtils.h"
#include "moefold/Dialect/SPMD/IR/PlacementVerification.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace moefold::moe;
using moefold::moe::detail::OpDiag;

//===----------------------------------------------------------------------===//
// Custom assembly directives
//===----------------------------------------------------------------------===//

/// Enums are written bare inside ops (`family = dense`) and as
/// `#moe.family<dense>` on their own.
template <typename EnumAttrT>
static ParseResult parseBareEnum(OpAsmParser &parser, EnumAttrT &attr) {
  using EnumT = decltype(std::declval<EnumAttrT>().getValue());
  FailureOr<EnumT> value = FieldParser<EnumT>::parse(parser);
  if (failed(value))
    return failure();
  attr = EnumAttrT::get(parser.getContext(), *value);
  return success();
}

static ParseResult parseFamily(OpAsmParser &parser, FamilyAttr &attr) {
  return parseBareEnum(parser, attr);
}
static void printFamily(OpAsmPrinter &printer, Operation *, FamilyAttr attr) {
  printer << stringifyFamily(attr.getValue());
}

static ParseResult parseScoring(OpAsmParser &parser, ScoringAttr &attr) {
  return parseBareEnum(parser, attr);
}
static void printScoring(OpAsmPrinter &printer, Operation *, ScoringAttr attr) {
  printer << stringifyScoring(attr.getValue());
}

/// Placements come from another dialect; they are written in full
/// (`#spmd.placement<...>`) so the reader sees which dialect they belong to.
static ParseResult parsePlacement(OpAsmParser &parser,
                                  moefold::spmd::PlacementAttr &attr) {
  return parser.parseAttribute(attr);
}
static void printPlacement(OpAsmPrinter &printer, Operation *,
                           moefold::spmd::PlacementAttr attr) {
  printer.printAttribute(attr);
}

/// Init specs are written bare inside moe.param (`init = normal(0.02)`).
static ParseResult parseInitSpec(OpAsmParser &parser, InitAttr &attr) {
  attr = InitAttr::parseBare(parser);
  return success(attr != nullptr);
}
static void printInitSpec(OpAsmPrinter &printer, Operation *, InitAttr attr) {
  attr.printBare(printer);
}

/// `[%scores ,] %dout` of moe.combine_grad: the last operand is dout, one
/// before it (if any) the scores.
static ParseResult
parseScoresThenDout(OpAsmParser &parser,
                    std::optional<OpAsmParser::UnresolvedOperand> &scores,
                    OpAsmParser::UnresolvedOperand &dout) {
  OpAsmParser::UnresolvedOperand first;
  if (parser.parseOperand(first))
    return failure();
  if (failed(parser.parseOptionalComma())) {
    dout = first;
    return success();
  }
  scores = first;
  return parser.parseOperand(dout);
}
static void printScoresThenDout(OpAsmPrinter &printer, Operation *,
                                Value scores, Value dout) {
  if (scores)
    printer << scores << ", ";
  printer << dout;
}
/// Their types; dscores (present exactly with scores) has the scores' type.
static ParseResult parseScoresThenDoutTypes(OpAsmParser &parser,
                                            Type &scoresType, Type &doutType,
                                            Type &dscoresType) {
  Type first;
  if (parser.parseType(first))
    return failure();
  if (failed(parser.parseOptionalComma())) {
    doutType = first;
    return success();
  }
  scoresType = dscoresType = first;
  return parser.parseType(doutType);
}
static void printScoresThenDoutTypes(OpAsmPrinter &printer, Operation *,
                                     Type scoresType, Type doutType, Type) {
  if (scoresType)
    printer << scoresType << ", ";
  printer << doutType;
}

#define GET_OP_CLASSES
#include "moefold/Dialect/MoE/IR/MoEOps.cpp.inc"

//===----------------------------------------------------------------------===//
// ParamOp
//===----------------------------------------------------------------------===//

InitAttr ParamOp::getDefaultInit(MLIRContext *ctx, Family family) {
  if (family == Family::Norm)
    return InitAttr::get(ctx, InitKind::Ones);
  return InitAttr::get(ctx, InitKind::Normal, 0.02);
}

InitAttr ParamOp::getEffectiveInit() {
  if (InitAttr init = getInitAttr())
    return init;
  return getDefaultInit(getContext(), getFamily());
}

StringRef ParamOp::getViewForFamily(Family family) {
  return family == Family::RoutedExpert ? moefold::spmd::kExpertView
                                        : moefold::spmd::kDenseView;
}

/// The rank a family requires (with the layout quoted in diagnostics), or
/// nullopt when any rank is fine.
static std::optional<std::pair<int64_t, StringRef>>
getRequiredRank(Family family) {
  switch (family) {
  case Family::Norm:
    return std::make_pair(int64_t{1}, StringRef("[H]"));
  case Family::Embedding:
    return std::make_pair(int64_t{2}, StringRef("[V, H]"));
  case Family::Router:
    return std::make_pair(int64_t{2}, StringRef("[H, E]"));
  case Family::RoutedExpert:
    return std::make_pair(int64_t{3}, StringRef("[E, H, F] or [E, F, H]"));
  case Family::Dense:
  case Family::SharedExpert:
    return std::nullopt;
  }
  llvm_unreachable("unknown family");
}

LogicalResult ParamOp::verify() {
  auto tensor = dyn_cast<RankedTensorType>(getType());
  if (!tensor || !tensor.hasStaticShape() ||
      !isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(
          tensor.getElementType()))
    return emitOpError("type must be a statically shaped tensor of f16, "
                       "bf16, f32 or f64, got ")
           << getType();

  Family family = getFamily();
  if (auto required = getRequiredRank(family);
      required && tensor.getRank() != required->first)
    return emitOpError() << stringifyFamily(family)
                         << " parameter must have rank " << required->first
                         << " (" << required->second << "), got rank "
                         << tensor.getRank();

  if (TypeAttr global = getGlobalTypeAttr())
    if (failed(verifyGlobalTypeShape(*this, tensor, global.getValue())))
      return failure();

  if (moefold::spmd::PlacementAttr placement = getPlacementAttr()) {
    StringRef view = getViewForFamily(family);
    if (placement.getView().getValue() != view)
      return emitOpError() << stringifyFamily(family)
                           << " parameter must be placed on the '" << view
                           << "' view, got '" << placement.getView().getValue()
                           << "'";
  }
  return success();
}

LogicalResult ParamOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  moefold::spmd::PlacementAttr placement = getPlacementAttr();
  // A partitioned parameter: the placement is global, `type` is local.
  if (getGlobalTypeAttr())
    return verifyLocalType(*this, getTensorType(), getGlobalTensorType(),
                           placement, symbolTable);
  if (!placement)
    return success();
  return moefold::spmd::verifyPlacementUse(*this, placement, getTensorType(),
                                           symbolTable);
}

LogicalResult ParamOp::verifyGlobalTypeShape(Operation *op,
                                             RankedTensorType localType,
                                             Type globalType) {
  auto global = dyn_cast<RankedTensorType>(globalType);
  if (!global || !global.hasStaticShape() ||
      global.getElementType() != localType.getElementType() ||
      global.getRank() != localType.getRank())
    return op->emitOpError("global_type must be a statically shaped tensor "
                           "of the element type and rank of the local type ")
           << localType << ", got " << globalType;
  return success();
}

LogicalResult ParamOp::verifyLocalType(Operation *op,
                                       RankedTensorType localType,
                                       RankedTensorType globalType,
                                       moefold::spmd::PlacementAttr placement,
                                       SymbolTableCollection &symbolTable) {
  SmallVector<int64_t> expected(globalType.getShape());
  if (placement) {
    if (failed(moefold::spmd::verifyPlacementUse(op, placement, globalType,
                                                 symbolTable)))
      return failure();
    auto mesh = dyn_cast_or_null<moefold::spmd::MeshOp>(
        symbolTable.lookupNearestSymbolFrom(op, placement.getMesh()));
    // A malformed mesh reports its own error.
    if (!mesh || !mesh.isValid())
      return success();
    StringRef view = placement.getView().getValue();
    for (auto [axis, axisPlacement] :
         llvm::zip(placement.getAxes(), placement.getPlacements()))
      if (axisPlacement.isSharded())
        expected[axisPlacement.getDim()] /=
            *mesh.getAxisSize(view, axis.getValue());
  }
  if (llvm::equal(expected, localType.getShape()))
    return success();
  InFlightDiagnostic diag =
      op->emitOpError("type ")
      << localType << " is not the local shape of global_type " << globalType;
  if (placement)
    diag << " placed " << placement;
  else
    diag << " (replicated: no placement)";
  diag << ", which is "
       << RankedTensorType::get(expected, globalType.getElementType());
  return diag;
}
