//===- SPMDAttrs.cpp - spmd placements and local SPMD types ---------------===//

#include "moefold/Dialect/SPMD/IR/SPMDAttrs.h"
#include "moefold/Dialect/SPMD/IR/SPMDDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace moefold::spmd;

#include "moefold/Dialect/SPMD/IR/SPMDEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "moefold/Dialect/SPMD/IR/SPMDAttrs.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers shared by the placement and local-type syntax
//===----------------------------------------------------------------------===//

bool moefold::spmd::isKnownViewName(StringRef view) {
  return view == kDenseView || view == kExpertView;
}

LocalTypeKind moefold::spmd::getGradientKind(LocalTypeKind kind) {
  switch (kind) {
  case LocalTypeKind::Replicate:
    return LocalTypeKind::Partial;
  case LocalTypeKind::Invariant:
    return LocalTypeKind::Invariant;
  case LocalTypeKind::Varying:
    return LocalTypeKind::Varying;
  case LocalTypeKind::Partial:
    return LocalTypeKind::Replicate;
  }
  llvm_unreachable("unknown local type kind");
}

/// Parses `@mesh[view]`.
static ParseResult parseMeshAndView(AsmParser &parser, FlatSymbolRefAttr &mesh,
                                    StringAttr &view) {
  StringAttr meshName;
  if (parser.parseSymbolName(meshName))
    return failure();
  mesh = FlatSymbolRefAttr::get(meshName);
  std::string viewName;
  if (parser.parseLSquare() || parser.parseKeywordOrString(&viewName) ||
      parser.parseRSquare())
    return failure();
  view = StringAttr::get(parser.getContext(), viewName);
  return success();
}

/// Parses `{axis = <entry>, ...}` calling `parseEntry` for each value.
static ParseResult
parseAxisMap(AsmParser &parser, SmallVectorImpl<StringAttr> &axes,
             llvm::function_ref<ParseResult()> parseEntry) {
  return parser.parseCommaSeparatedList(
      AsmParser::Delimiter::Braces, [&]() -> ParseResult {
        std::string axis;
        if (parser.parseKeywordOrString(&axis) || parser.parseEqual())
          return failure();
        axes.push_back(StringAttr::get(parser.getContext(), axis));
        return parseEntry();
      });
}

/// Checks the parts common to placements and local types: a known view and
/// axes named once.
static LogicalResult
verifyViewAndAxes(function_ref<InFlightDiagnostic()> emitError,
                  StringAttr view, ArrayRef<StringAttr> axes) {
  if (!view || !isKnownViewName(view.getValue()))
    return emitError() << "unknown mesh view '"
                       << (view ? view.getValue() : "") << "' (expected '"
                       << kDenseView << "' or '" << kExpertView << "')";
  llvm::StringSet<> seen;
  for (StringAttr axis : axes) {
    if (!axis || axis.getValue().empty())
      return emitError() << "empty axis name";
    if (!seen.insert(axis.getValue()).second)
      return emitError() << "axis '" << axis.getValue()
                         << "' is listed more than once";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// AxisPlacementAttr
//===----------------------------------------------------------------------===//

AxisPlacementAttr AxisPlacementAttr::getReplicated(MLIRContext *ctx) {
  return get(ctx, PlacementKind::Replicated, -1, ReductionKind::Sum);
}

AxisPlacementAttr AxisPlacementAttr::getSharded(MLIRContext *ctx,
                                                int64_t dim) {
  return get(ctx, PlacementKind::Sharded, dim, ReductionKind::Sum);
}

AxisPlacementAttr AxisPlacementAttr::getPartial(MLIRContext *ctx,
                                                ReductionKind reduction) {
  return get(ctx, PlacementKind::Partial, -1, reduction);
}

LogicalResult
AxisPlacementAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                          PlacementKind kind, int64_t dim,
                          ReductionKind reduction) {
  if (kind == PlacementKind::Sharded && dim < 0)
    return emitError() << "sharded dimension must be non-negative, got "
                       << dim;
  if (kind != PlacementKind::Sharded && dim != -1)
    return emitError() << "only S(d) carries a dimension";
  if (kind != PlacementKind::Partial && reduction != ReductionKind::Sum)
    return emitError() << "only P(kind) carries a reduction kind";
  return success();
}

void AxisPlacementAttr::printBare(AsmPrinter &printer) const {
  switch (getKind()) {
  case PlacementKind::Replicated:
    printer << "R";
    return;
  case PlacementKind::Sharded:
    printer << "S(" << getDim() << ")";
    return;
  case PlacementKind::Partial:
    printer << "P(" << stringifyReductionKind(getReduction()) << ")";
    return;
  }
}

AxisPlacementAttr AxisPlacementAttr::parseBare(AsmParser &parser) {
  MLIRContext *ctx = parser.getContext();
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return {};
  if (keyword == "R")
    return getReplicated(ctx);
  if (keyword == "S") {
    int64_t dim = 0;
    if (parser.parseLParen() || parser.parseInteger(dim) ||
        parser.parseRParen())
      return {};
    if (dim < 0) {
      parser.emitError(loc) << "sharded dimension must be non-negative, got "
                            << dim;
      return {};
    }
    return getSharded(ctx, dim);
  }
  if (keyword == "P") {
    StringRef reductionName;
    SMLoc reductionLoc;
    if (parser.parseLParen())
      return {};
    reductionLoc = parser.getCurrentLocation();
    if (parser.parseKeyword(&reductionName) || parser.parseRParen())
      return {};
    std::optional<ReductionKind> reduction =
        symbolizeReductionKind(reductionName);
    if (!reduction) {
      parser.emitError(reductionLoc)
          << "unknown reduction '" << reductionName
          << "' (expected sum, avg or max)";
      return {};
    }
    return getPartial(ctx, *reduction);
  }
  parser.emitError(loc) << "expected an axis placement R, S(dim) or "
                           "P(sum|avg|max), got '"
                        << keyword << "'";
  return {};
}

Attribute AxisPlacementAttr::parse(AsmParser &parser, Type) {
  if (parser.parseLess())
    return {};
  AxisPlacementAttr attr = parseBare(parser);
  if (!attr || parser.parseGreater())
    return {};
  return attr;
}

void AxisPlacementAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printBare(printer);
  printer << ">";
}

//===----------------------------------------------------------------------===//
// PlacementAttr
//===----------------------------------------------------------------------===//

LogicalResult
PlacementAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      FlatSymbolRefAttr mesh, StringAttr view,
                      ArrayRef<StringAttr> axes,
                      ArrayRef<AxisPlacementAttr> placements) {
  if (!mesh)
    return emitError() << "placement needs a mesh symbol";
  if (axes.size() != placements.size())
    return emitError() << "placement lists " << axes.size() << " axes but "
                       << placements.size() << " axis placements";
  return verifyViewAndAxes(emitError, view, axes);
}

AxisPlacementAttr PlacementAttr::getPlacementFor(StringRef axis) const {
  for (auto [name, placement] : llvm::zip(getAxes(), getPlacements()))
    if (name.getValue() == axis)
      return placement;
  return AxisPlacementAttr::getReplicated(getContext());
}

bool PlacementAttr::isFullyReplicated() const {
  return llvm::all_of(getPlacements(), [](AxisPlacementAttr placement) {
    return placement.isReplicated();
  });
}

Attribute PlacementAttr::parse(AsmParser &parser, Type) {
  FlatSymbolRefAttr mesh;
  StringAttr view;
  SmallVector<StringAttr> axes;
  SmallVector<AxisPlacementAttr> placements;
  if (parser.parseLess() || parseMeshAndView(parser, mesh, view) ||
      parseAxisMap(parser, axes, [&]() -> ParseResult {
        AxisPlacementAttr placement = AxisPlacementAttr::parseBare(parser);
        if (!placement)
          return failure();
        placements.push_back(placement);
        return success();
      }) ||
      parser.parseGreater())
    return {};
  return parser.getChecked<PlacementAttr>(parser.getContext(), mesh, view,
                                          axes, placements);
}

void PlacementAttr::print(AsmPrinter &printer) const {
  printer << "<" << getMesh() << "[" << getView().getValue() << "] {";
  llvm::interleaveComma(llvm::zip(getAxes(), getPlacements()), printer,
                        [&](auto entry) {
                          printer << std::get<0>(entry).getValue() << " = ";
                          std::get<1>(entry).printBare(printer);
                        });
  printer << "}>";
}

//===----------------------------------------------------------------------===//
// LocalTypeAttr
//===----------------------------------------------------------------------===//

LogicalResult
LocalTypeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      FlatSymbolRefAttr mesh, StringAttr view,
                      ArrayRef<StringAttr> axes,
                      ArrayRef<LocalTypeKind> kinds) {
  if (!mesh)
    return emitError() << "local type needs a mesh symbol";
  if (axes.size() != kinds.size())
    return emitError() << "local type lists " << axes.size() << " axes but "
                       << kinds.size() << " types";
  return verifyViewAndAxes(emitError, view, axes);
}

std::optional<LocalTypeKind> LocalTypeAttr::getKindFor(StringRef axis) const {
  for (auto [name, kind] : llvm::zip(getAxes(), getKinds()))
    if (name.getValue() == axis)
      return kind;
  return std::nullopt;
}

LocalTypeAttr LocalTypeAttr::getGradientType() const {
  SmallVector<LocalTypeKind> gradKinds =
      llvm::map_to_vector(getKinds(), getGradientKind);
  return get(getContext(), getMesh(), getView(), getAxes(), gradKinds);
}

Attribute LocalTypeAttr::parse(AsmParser &parser, Type) {
  FlatSymbolRefAttr mesh;
  StringAttr view;
  SmallVector<StringAttr> axes;
  SmallVector<LocalTypeKind> kinds;
  if (parser.parseLess() || parseMeshAndView(parser, mesh, view) ||
      parseAxisMap(parser, axes, [&]() -> ParseResult {
        SMLoc loc = parser.getCurrentLocation();
        StringRef keyword;
        if (parser.parseKeyword(&keyword))
          return failure();
        std::optional<LocalTypeKind> kind = symbolizeLocalTypeKind(keyword);
        if (!kind)
          return parser.emitError(loc)
                 << "expected a local SPMD type R, I, V or P, got '"
                 << keyword << "'";
        kinds.push_back(*kind);
        return success();
      }) ||
      parser.parseGreater())
    return {};
  return parser.getChecked<LocalTypeAttr>(parser.getContext(), mesh, view,
                                          axes, kinds);
}

void LocalTypeAttr::print(AsmPrinter &printer) const {
  printer << "<" << getMesh() << "[" << getView().getValue() << "] {";
  llvm::interleaveComma(llvm::zip(getAxes(), getKinds()), printer,
                        [&](auto entry) {
                          printer << std::get<0>(entry).getValue() << " = "
                                  << stringifyLocalTypeKind(
                                         std::get<1>(entry));
                        });
  printer << "}>";
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void SPMDDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "moefold/Dialect/SPMD/IR/SPMDAttrs.cpp.inc"
      >();
}
