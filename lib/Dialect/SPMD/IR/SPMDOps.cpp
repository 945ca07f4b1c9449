//===- SPMDOps.cpp - spmd.mesh and the shared op syntax -------------------===//
//
// The mesh op and the custom assembly directives every spmd op shares. The
// typing rules of the collectives live in Collectives.cpp.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/SPMD/IR/SPMDOps.h"

#include "moefold/Dialect/SPMD/IR/MeshLayoutBridge.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace moefold::spmd;

//===----------------------------------------------------------------------===//
// Custom directives
//===----------------------------------------------------------------------===//

/// Parses a mesh view `[dp, tp = 2]`: axis names, each with an optional
/// `= size`; an axis without a size is stored as ShapedType::kDynamic.
static ParseResult parseMeshView(OpAsmParser &parser, ArrayAttr &axes,
                                 DenseI64ArrayAttr &sizes) {
  SmallVector<Attribute> names;
  SmallVector<int64_t> values;
  if (parser.parseCommaSeparatedList(
          OpAsmParser::Delimiter::Square, [&]() -> ParseResult {
            std::string name;
            if (parser.parseKeywordOrString(&name))
              return failure();
            names.push_back(parser.getBuilder().getStringAttr(name));
            int64_t size = ShapedType::kDynamic;
            if (succeeded(parser.parseOptionalEqual()) &&
                parser.parseInteger(size))
              return failure();
            values.push_back(size);
            return success();
          }))
    return failure();
  axes = parser.getBuilder().getArrayAttr(names);
  sizes = parser.getBuilder().getDenseI64ArrayAttr(values);
  return success();
}

static void printMeshView(OpAsmPrinter &printer, Operation *, ArrayAttr axes,
                          DenseI64ArrayAttr sizes) {
  printer << "[";
  for (auto [i, name] : llvm::enumerate(axes)) {
    if (i)
      printer << ", ";
    printer.printKeywordOrString(cast<StringAttr>(name).getValue());
    if (i < static_cast<size_t>(sizes.size()) &&
        !ShapedType::isDynamic(sizes[i]))
      printer << " = " << sizes[i];
  }
  printer << "]";
}

/// Parses `@mesh[view] [axis, ...]`.
static ParseResult parseMeshAxes(OpAsmParser &parser, FlatSymbolRefAttr &mesh,
                                 StringAttr &view, ArrayAttr &axes) {
  StringAttr meshName;
  std::string viewName;
  if (parser.parseSymbolName(meshName) || parser.parseLSquare() ||
      parser.parseKeywordOrString(&viewName) || parser.parseRSquare())
    return failure();
  mesh = FlatSymbolRefAttr::get(meshName);
  view = parser.getBuilder().getStringAttr(viewName);
  SmallVector<Attribute> names;
  if (parser.parseCommaSeparatedList(
          OpAsmParser::Delimiter::Square, [&]() -> ParseResult {
            std::string name;
            if (parser.parseKeywordOrString(&name))
              return failure();
            names.push_back(parser.getBuilder().getStringAttr(name));
            return success();
          }))
    return failure();
  axes = parser.getBuilder().getArrayAttr(names);
  return success();
}

static void printMeshAxes(OpAsmPrinter &printer, Operation *,
                          FlatSymbolRefAttr mesh, StringAttr view,
                          ArrayAttr axes) {
  printer << mesh << "[";
  printer.printKeywordOrString(view.getValue());
  printer << "] [";
  llvm::interleaveComma(axes, printer, [&](Attribute axis) {
    printer.printKeywordOrString(cast<StringAttr>(axis).getValue());
  });
  printer << "]";
}

static ParseResult parseLocalTypeKind(OpAsmParser &parser,
                                      LocalTypeKindAttr &attr) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<LocalTypeKind> kind = symbolizeLocalTypeKind(keyword);
  if (!kind)
    return parser.emitError(loc)
           << "expected a local SPMD type R, I, V or P, got '" << keyword
           << "'";
  attr = LocalTypeKindAttr::get(parser.getContext(), *kind);
  return success();
}

/// Parses `(src -> dst)`, e.g. `(P -> R)`.
static ParseResult parseLocalTypePair(OpAsmParser &parser,
                                      LocalTypeKindAttr &src,
                                      LocalTypeKindAttr &dst) {
  return failure(parser.parseLParen() || parseLocalTypeKind(parser, src) ||
                 parser.parseArrow() || parseLocalTypeKind(parser, dst) ||
                 parser.parseRParen());
}

static void printLocalTypePair(OpAsmPrinter &printer, Operation *,
                               LocalTypeKindAttr src, LocalTypeKindAttr dst) {
  printer << "(" << stringifyLocalTypeKind(src.getValue()) << " -> "
          << stringifyLocalTypeKind(dst.getValue()) << ")";
}

/// Parses the bare reduction keyword after `reduction =`: sum, avg or max.
static ParseResult parseReduction(OpAsmParser &parser,
                                  ReductionKindAttr &reduction) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<ReductionKind> kind = symbolizeReductionKind(keyword);
  if (!kind)
    return parser.emitError(loc) << "unknown reduction '" << keyword
                                 << "' (expected sum, avg or max)";
  reduction = ReductionKindAttr::get(parser.getContext(), *kind);
  return success();
}

static void printReduction(OpAsmPrinter &printer, Operation *,
                           ReductionKindAttr reduction) {
  printer << stringifyReductionKind(reduction.getValue());
}

#define GET_OP_CLASSES
#include "moefold/Dialect/SPMD/IR/SPMDOps.cpp.inc"

#include "moefold/Dialect/SPMD/IR/SPMDInterfaces.cpp.inc"

//===----------------------------------------------------------------------===//
// MeshOp
//===----------------------------------------------------------------------===//

ArrayRef<StringRef> MeshOp::getAllowedAxes(StringRef view) {
  static const StringRef dense[] = {"dp", "tp"};
  static const StringRef expert[] = {"edp", "ep", "etp"};
  if (view == kDenseView)
    return dense;
  if (view == kExpertView)
    return expert;
  return {};
}

StringRef MeshOp::getDerivedAxis(StringRef view) {
  if (view == kDenseView)
    return "dp";
  if (view == kExpertView)
    return "edp";
  return "";
}

bool MeshOp::hasView(StringRef view) { return isKnownViewName(view); }

SmallVector<std::pair<StringRef, int64_t>>
MeshOp::getViewAxes(StringRef view) {
  SmallVector<std::pair<StringRef, int64_t>> result;
  ArrayAttr names;
  ArrayRef<int64_t> sizes;
  if (view == kDenseView) {
    names = getDenseAxes();
    sizes = getDenseSizes();
  } else if (view == kExpertView) {
    names = getExpertAxes();
    sizes = getExpertSizes();
  } else {
    return result;
  }
  int64_t fixedProduct = 1;
  for (int64_t size : sizes)
    if (!ShapedType::isDynamic(size))
      fixedProduct *= size;
  for (auto [name, size] : llvm::zip(names, sizes)) {
    int64_t resolved = size;
    if (ShapedType::isDynamic(size))
      resolved = fixedProduct > 0 ? getWorldSize() / fixedProduct : 0;
    result.emplace_back(cast<StringAttr>(name).getValue(), resolved);
  }
  return result;
}

std::optional<int64_t> MeshOp::getAxisSize(StringRef view, StringRef axis) {
  for (auto [name, size] : getViewAxes(view))
    if (name == axis)
      return size;
  return std::nullopt;
}

std::optional<int64_t> MeshOp::getAxisStride(StringRef view, StringRef axis) {
  auto axes = getViewAxes(view);
  int64_t stride = 1;
  for (auto [name, size] : llvm::reverse(axes)) {
    if (name == axis)
      return stride;
    stride *= size;
  }
  return std::nullopt;
}

std::optional<int64_t> MeshOp::getGroupSize(StringRef view,
                                            ArrayRef<StringRef> axes) {
  int64_t product = 1;
  for (StringRef axis : axes) {
    std::optional<int64_t> size = getAxisSize(view, axis);
    if (!size)
      return std::nullopt;
    product *= *size;
  }
  return product;
}

/// The checks that belong to the IR rather than to the rank arithmetic:
/// well-formed attributes (the generic form can break them) and derived axes
/// written without a size, because dp and edp are never set by the user.
static bool checkMeshViewSyntax(StringRef view, ArrayAttr names,
                                ArrayRef<int64_t> sizes,
                                llvm::raw_ostream &os) {
  if (names.size() != sizes.size()) {
    os << view << " view lists " << names.size() << " axes but "
       << sizes.size() << " sizes";
    return false;
  }
  StringRef derived = MeshOp::getDerivedAxis(view);
  StringRef derivation = view == kDenseView ? "world/tp" : "world/(ep*etp)";
  for (auto [nameAttr, size] : llvm::zip(names, sizes)) {
    auto name = dyn_cast<StringAttr>(nameAttr);
    if (!name) {
      os << view << " view axis names must be strings";
      return false;
    }
    if (name.getValue() == derived && !ShapedType::isDynamic(size)) {
      os << "'" << derived << "' is derived from " << derivation
         << " and must not be given a size (got " << size << ")";
      return false;
    }
  }
  return true;
}

/// Every mesh invariant; writes the first violation to `os`. The rank
/// arithmetic (names, sizes, divisibility, etp support) is the placement
/// algebra's, so the compiler and its group tables can never disagree.
static bool checkMesh(MeshOp op, llvm::raw_ostream &os) {
  if (!checkMeshViewSyntax(kDenseView, op.getDenseAxes(), op.getDenseSizes(),
                           os) ||
      !checkMeshViewSyntax(kExpertView, op.getExpertAxes(),
                           op.getExpertSizes(), os))
    return false;
  llvm::Expected<moefold::placement::MeshLayout> layout = buildMeshLayout(op);
  if (layout)
    return true;
  os << llvm::toString(layout.takeError());
  return false;
}

LogicalResult MeshOp::verify() {
  std::string message;
  llvm::raw_string_ostream os(message);
  if (checkMesh(*this, os))
    return success();
  return emitOpError() << message;
}

bool MeshOp::isValid() {
  // The generic form may omit or mistype the attributes; verifyInvariants
  // would report that, but this runs quietly and possibly before it.
  Operation *op = getOperation();
  if (!op->getAttrOfType<IntegerAttr>(getWorldAttrName()) ||
      !op->getAttrOfType<ArrayAttr>(getDenseAxesAttrName()) ||
      !op->getAttrOfType<DenseI64ArrayAttr>(getDenseSizesAttrName()) ||
      !op->getAttrOfType<ArrayAttr>(getExpertAxesAttrName()) ||
      !op->getAttrOfType<DenseI64ArrayAttr>(getExpertSizesAttrName()))
    return false;
  std::string message;
  llvm::raw_string_ostream os(message);
  return checkMesh(*this, os);
}

//===----------------------------------------------------------------------===//
// Free helpers
//===----------------------------------------------------------------------===//

MeshOp moefold::spmd::lookupMesh(Operation *from, FlatSymbolRefAttr mesh,
                                 SymbolTableCollection &symbolTable) {
  if (!mesh)
    return {};
  return symbolTable.lookupNearestSymbolFrom<MeshOp>(from, mesh.getAttr());
}
