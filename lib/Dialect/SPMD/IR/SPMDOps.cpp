//===- SPMDOps.cpp - spmd.mesh and the shared op syntax -------------------===//
//
// The mesh op and the custom assembly directives every spmd op shares. The
// typing rules of the collectives live in Collectives.cpp.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/SPMD/IR/SPMDOps.h"

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

bool MeshOp::isStructurallyValid() {
  Operation *op = getOperation();
  auto world = op->getAttrOfType<IntegerAttr>(getWorldAttrName());
  auto denseAxes = op->getAttrOfType<ArrayAttr>(getDenseAxesAttrName());
  auto denseSizes =
      op->getAttrOfType<DenseI64ArrayAttr>(getDenseSizesAttrName());
  auto expertAxes = op->getAttrOfType<ArrayAttr>(getExpertAxesAttrName());
  auto expertSizes =
      op->getAttrOfType<DenseI64ArrayAttr>(getExpertSizesAttrName());
  if (!world || !denseAxes || !denseSizes || !expertAxes || !expertSizes)
    return false;
  auto allStrings = [](ArrayAttr array) {
    return llvm::all_of(array, llvm::IsaPred<StringAttr>);
  };
  return world.getInt() > 0 && allStrings(denseAxes) &&
         allStrings(expertAxes) &&
         denseAxes.size() == static_cast<size_t>(denseSizes.size()) &&
         expertAxes.size() == static_cast<size_t>(expertSizes.size());
}

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

/// Checks one view: allowed, unique and complete axis names, sizes only on
/// the fixed axes and all positive. Sets `fixedProduct` to the product of
/// the fixed sizes.
static LogicalResult verifyMeshView(MeshOp op, StringRef view,
                                    ArrayAttr names, ArrayRef<int64_t> sizes,
                                    int64_t &fixedProduct) {
  if (names.size() != sizes.size())
    return op.emitOpError()
           << view << " view lists " << names.size() << " axes but "
           << sizes.size() << " sizes";
  ArrayRef<StringRef> allowed = MeshOp::getAllowedAxes(view);
  StringRef derived = MeshOp::getDerivedAxis(view);
  StringRef derivation = view == kDenseView ? "world/tp" : "world/(ep*etp)";
  llvm::StringSet<> seen;
  fixedProduct = 1;
  for (auto [nameAttr, size] : llvm::zip(names, sizes)) {
    StringRef name = cast<StringAttr>(nameAttr).getValue();
    if (!llvm::is_contained(allowed, name))
      return op.emitOpError()
             << "unknown axis '" << name << "' in the " << view
             << " view (expected " << llvm::join(allowed, ", ") << ")";
    if (!seen.insert(name).second)
      return op.emitOpError() << "axis '" << name
                              << "' is listed more than once in the " << view
                              << " view";
    if (name == derived) {
      if (!ShapedType::isDynamic(size))
        return op.emitOpError()
               << "'" << name << "' is derived from " << derivation
               << " and must not be given a size (got " << size << ")";
      continue;
    }
    if (ShapedType::isDynamic(size))
      return op.emitOpError() << "axis '" << name << "' of the " << view
                              << " view needs a size, e.g. '" << name
                              << " = 2'";
    if (size <= 0)
      return op.emitOpError() << "axis '" << name << "' has size " << size
                              << "; axis sizes must be positive";
    fixedProduct *= size;
  }
  for (StringRef name : allowed)
    if (!seen.contains(name))
      return op.emitOpError()
             << view << " view is missing axis '" << name << "' (expected "
             << llvm::join(allowed, ", ") << ", each exactly once)";
  return success();
}

LogicalResult MeshOp::verify() {
  int64_t world = getWorld();
  if (world <= 0)
    return emitOpError() << "world size must be positive, got " << world;

  int64_t tp, epEtp;
  if (failed(verifyMeshView(*this, kDenseView, getDenseAxes(),
                            getDenseSizes(), tp)) ||
      failed(verifyMeshView(*this, kExpertView, getExpertAxes(),
                            getExpertSizes(), epEtp)))
    return failure();

  if (world % tp != 0)
    return emitOpError() << "dense view: world " << world
                         << " is not divisible by tp = " << tp;
  int64_t ep = *getAxisSize(kExpertView, "ep");
  int64_t etp = *getAxisSize(kExpertView, "etp");
  if (world % epEtp != 0)
    return emitOpError() << "expert view: stage size " << world
                         << " is not divisible by ep*etp = " << ep << "*"
                         << etp << " = " << epEtp;
  if (etp > 1)
    return emitOpError() << "etp = " << etp
                         << " is not supported yet (expert tensor "
                            "parallelism is planned); use etp = 1";
  return success();
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
