//===- Collectives.cpp - typing rules of the spmd collectives -------------===//
//
// Verifiers of the typed ops (collectives, convert, reinterpret). Checks that
// need only the op (local types, ranks, element types) run in verify();
// checks that need the mesh (axes of the view, group sizes) run in
// verifySymbolUses, as upstream shard does.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/SPMD/IR/SPMDOps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace moefold::spmd;

using Kind = LocalTypeKind;

static StringRef str(Kind kind) { return stringifyLocalTypeKind(kind); }

//===----------------------------------------------------------------------===//
// Shared checks
//===----------------------------------------------------------------------===//

/// Checks that need only the op: a known view, at least one axis, each axis
/// once, and (except where `allowSame`) distinct src and dst.
static LogicalResult verifyTypedCommon(Operation *op, StringRef view,
                                       ArrayAttr axes, Kind src, Kind dst,
                                       bool allowSame = false) {
  if (!isKnownViewName(view))
    return op->emitOpError() << "unknown mesh view '" << view
                             << "' (expected '" << kDenseView << "' or '"
                             << kExpertView << "')";
  if (axes.empty())
    return op->emitOpError() << "needs at least one mesh axis";
  llvm::StringSet<> seen;
  for (Attribute axis : axes) {
    StringRef name = cast<StringAttr>(axis).getValue();
    if (!seen.insert(name).second)
      return op->emitOpError()
             << "axis '" << name << "' is listed more than once";
  }
  if (!allowSame && src == dst)
    return op->emitOpError() << "src and dst are both " << str(src)
                             << ": nothing to do";
  return success();
}

/// Resolves the mesh of a typed op and checks its axes against the view.
/// Returns the group size (the product of the listed axes' sizes).
static FailureOr<int64_t>
verifyGroup(LocalTypeTransitionOpInterface op,
            SymbolTableCollection &symbolTable) {
  FlatSymbolRefAttr meshRef = op.getMeshSymbol();
  Operation *symbol =
      symbolTable.lookupNearestSymbolFrom(op, meshRef.getAttr());
  if (!symbol) {
    op->emitOpError() << "refers to unknown mesh " << meshRef;
    return failure();
  }
  auto mesh = dyn_cast<MeshOp>(symbol);
  if (!mesh) {
    op->emitOpError() << meshRef << " is not an spmd.mesh";
    return failure();
  }
  // verify() has checked the view name; an unknown axis is reported below.
  StringRef view = op.getViewName();
  int64_t groupSize = 1;
  for (StringRef axis : op.getAxisNames()) {
    std::optional<int64_t> size = mesh.getAxisSize(view, axis);
    if (!size) {
      auto diag = op->emitOpError()
                  << "axis '" << axis << "' is not an axis of the " << view
                  << " view of mesh " << meshRef << " (axes: ";
      llvm::interleaveComma(mesh.getViewAxes(view), diag,
                            [&](auto entry) { diag << entry.first; });
      diag << ")";
      return failure();
    }
    groupSize *= *size;
  }
  return groupSize;
}

/// Prints `[tp, ep]`.
static std::string axesString(LocalTypeTransitionOpInterface op) {
  return "[" + llvm::join(op.getAxisNames(), ", ") + "]";
}

/// Checks that `result` is `input` with only dimension `dim` changed: same
/// rank and element type, `dim` in range, every other static dim equal.
static LogicalResult verifyOneDimChange(Operation *op, RankedTensorType input,
                                        RankedTensorType result,
                                        int64_t dim) {
  if (input.getElementType() != result.getElementType())
    return op->emitOpError()
           << "result element type " << result.getElementType()
           << " differs from operand element type " << input.getElementType();
  if (input.getRank() != result.getRank())
    return op->emitOpError() << "result rank " << result.getRank()
                             << " differs from operand rank "
                             << input.getRank();
  if (dim >= input.getRank())
    return op->emitOpError() << "dim " << dim << " is out of range for rank "
                             << input.getRank();
  for (int64_t i = 0, e = input.getRank(); i < e; ++i) {
    if (i == dim || input.isDynamicDim(i) || result.isDynamicDim(i))
      continue;
    if (input.getDimSize(i) != result.getDimSize(i))
      return op->emitOpError()
             << "result dimension " << i << " is " << result.getDimSize(i)
             << " but operand dimension " << i << " is "
             << input.getDimSize(i) << "; only dim " << dim << " may change";
  }
  return success();
}

/// Checks `result[dim] == input[dim] * groupSize` (static sizes only).
static LogicalResult verifyDimMultiplied(LocalTypeTransitionOpInterface op,
                                         StringRef what,
                                         RankedTensorType input,
                                         RankedTensorType result, int64_t dim,
                                         int64_t groupSize) {
  if (input.isDynamicDim(dim) || result.isDynamicDim(dim))
    return success();
  int64_t expected = input.getDimSize(dim) * groupSize;
  if (result.getDimSize(dim) != expected)
    return op->emitOpError()
           << what << " dimension " << dim << " of size "
           << input.getDimSize(dim) << " over " << axesString(op) << " ("
           << groupSize << " ranks), so result dimension " << dim
           << " must be " << expected << ", got " << result.getDimSize(dim);
  return success();
}

/// Checks `input[dim] % groupSize == 0` and
/// `result[dim] == input[dim] / groupSize` (static sizes only).
static LogicalResult verifyDimDivided(LocalTypeTransitionOpInterface op,
                                      StringRef what, RankedTensorType input,
                                      RankedTensorType result, int64_t dim,
                                      int64_t groupSize) {
  if (input.isDynamicDim(dim))
    return success();
  int64_t size = input.getDimSize(dim);
  if (size % groupSize != 0)
    return op->emitOpError()
           << what << " dimension " << dim << " of size " << size << " over "
           << axesString(op) << " (" << groupSize << " ranks), but " << size
           << " is not divisible by " << groupSize;
  if (result.isDynamicDim(dim))
    return success();
  if (result.getDimSize(dim) != size / groupSize)
    return op->emitOpError()
           << what << " dimension " << dim << " of size " << size << " over "
           << axesString(op) << " (" << groupSize
           << " ranks), so result dimension " << dim << " must be "
           << size / groupSize << ", got " << result.getDimSize(dim);
  return success();
}

//===----------------------------------------------------------------------===//
// AllReduceOp
//===----------------------------------------------------------------------===//

LogicalResult AllReduceOp::verify() {
  if (failed(verifyTypedCommon(*this, getView(), getAxes(), getSrc(),
                               getDst())))
    return failure();
  if (getSrc() != Kind::Partial && getSrc() != Kind::Varying)
    return emitOpError() << "reduces a P (or V) operand, got "
                         << str(getSrc());
  if (getDst() != Kind::Replicate && getDst() != Kind::Invariant)
    return emitOpError() << "produces R or I, got " << str(getDst())
                         << (getDst() == Kind::Varying
                                 ? ": use spmd.reduce_scatter for P -> V"
                                 : "");
  return success();
}

LogicalResult
AllReduceOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyGroup(*this, symbolTable);
}

Speculation::Speculatability AllReduceOp::getSpeculatability() {
  return Speculation::NotSpeculatable;
}

//===----------------------------------------------------------------------===//
// AllGatherOp
//===----------------------------------------------------------------------===//

LogicalResult AllGatherOp::verify() {
  if (failed(verifyTypedCommon(*this, getView(), getAxes(), getSrc(),
                               getDst())))
    return failure();
  if (getSrc() != Kind::Varying)
    return emitOpError() << "gathers a V operand, got " << str(getSrc());
  if (getDst() != Kind::Replicate && getDst() != Kind::Invariant)
    return emitOpError() << "produces R or I, got " << str(getDst());
  return verifyOneDimChange(*this, getInput().getType(),
                            getResult().getType(), getDim());
}

LogicalResult
AllGatherOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<int64_t> groupSize = verifyGroup(*this, symbolTable);
  if (failed(groupSize))
    return failure();
  return verifyDimMultiplied(*this, "gathers", getInput().getType(),
                             getResult().getType(), getDim(), *groupSize);
}

Speculation::Speculatability AllGatherOp::getSpeculatability() {
  return Speculation::NotSpeculatable;
}

//===----------------------------------------------------------------------===//
// ReduceScatterOp
//===----------------------------------------------------------------------===//

LogicalResult ReduceScatterOp::verify() {
  if (failed(verifyTypedCommon(*this, getView(), getAxes(), getSrc(),
                               getDst())))
    return failure();
  if (getSrc() != Kind::Partial)
    return emitOpError() << "reduces a P operand, got " << str(getSrc());
  if (getDst() != Kind::Varying)
    return emitOpError() << "produces V, got " << str(getDst())
                         << ": use spmd.all_reduce for P -> R or P -> I";
  return verifyOneDimChange(*this, getInput().getType(),
                            getResult().getType(), getDim());
}

LogicalResult
ReduceScatterOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<int64_t> groupSize = verifyGroup(*this, symbolTable);
  if (failed(groupSize))
    return failure();
  return verifyDimDivided(*this, "scatters", getInput().getType(),
                          getResult().getType(), getDim(), *groupSize);
}

Speculation::Speculatability ReduceScatterOp::getSpeculatability() {
  return Speculation::NotSpeculatable;
}

//===----------------------------------------------------------------------===//
// AllToAllOp
//===----------------------------------------------------------------------===//

LogicalResult AllToAllOp::verify() {
  if (failed(verifyTypedCommon(*this, getView(), getAxes(), getSrc(),
                               getDst(), /*allowSame=*/true)))
    return failure();
  if (getSrc() != Kind::Varying || getDst() != Kind::Varying)
    return emitOpError() << "exchanges varying values: src and dst must be "
                            "V, got "
                         << str(getSrc()) << " -> " << str(getDst());
  RankedTensorType input = getInput().getType();
  RankedTensorType result = getResult().getType();
  if (input.getRank() < 1)
    return emitOpError() << "operand must have rank >= 1 (rows are "
                            "dimension 0), got rank 0";
  // The leading (row) dimension is the one that changes.
  return verifyOneDimChange(*this, input, result, /*dim=*/0);
}

LogicalResult
AllToAllOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<int64_t> groupSize = verifyGroup(*this, symbolTable);
  if (failed(groupSize))
    return failure();
  for (auto [name, counts] : {std::pair<StringRef, Value>{
                                  "send_counts", getSendCounts()},
                              {"recv_counts", getRecvCounts()}}) {
    auto type = cast<RankedTensorType>(counts.getType());
    if (!type.isDynamicDim(0) && type.getDimSize(0) != *groupSize)
      return emitOpError() << name << " has " << type.getDimSize(0)
                           << " entries but the group over "
                           << axesString(*this) << " has " << *groupSize
                           << " ranks (one count per peer)";
  }
  return success();
}

Speculation::Speculatability AllToAllOp::getSpeculatability() {
  return Speculation::NotSpeculatable;
}

//===----------------------------------------------------------------------===//
// ConvertOp
//===----------------------------------------------------------------------===//

namespace {
/// What a communication-free conversion does to the local data.
enum class ConvertAction { None, Slice, ZeroPad, ZeroNonFirst };
} // namespace

/// The local work of `convert src -> dst`, or std::nullopt when the pair
/// needs communication.
static std::optional<ConvertAction> getConvertAction(Kind src, Kind dst) {
  switch (src) {
  case Kind::Replicate:
  case Kind::Invariant:
    if (dst == Kind::Varying)
      return ConvertAction::Slice;
    if (dst == Kind::Partial)
      return ConvertAction::ZeroNonFirst;
    return ConvertAction::None; // R -> I, I -> R
  case Kind::Varying:
    if (dst == Kind::Partial)
      return ConvertAction::ZeroPad;
    return std::nullopt;
  case Kind::Partial:
    return std::nullopt;
  }
  return std::nullopt;
}

/// The collective that performs `src -> dst` when convert cannot.
static StringRef getCollectiveFor(Kind src, Kind dst) {
  if (src == Kind::Varying)
    return "spmd.all_gather";
  if (dst == Kind::Varying)
    return "spmd.reduce_scatter";
  return "spmd.all_reduce";
}

LogicalResult ConvertOp::verify() {
  Kind src = getSrc(), dst = getDst();
  if (failed(verifyTypedCommon(*this, getView(), getAxes(), src, dst)))
    return failure();
  std::optional<ConvertAction> action = getConvertAction(src, dst);
  if (!action)
    return emitOpError() << "convert cannot turn " << str(src) << " into "
                         << str(dst) << ": use " << getCollectiveFor(src, dst)
                         << " (convert never communicates)";
  RankedTensorType input = getInput().getType();
  RankedTensorType result = getResult().getType();
  bool needsDim =
      *action == ConvertAction::Slice || *action == ConvertAction::ZeroPad;
  if (needsDim && !getDim())
    return emitOpError() << "convert " << str(src) << " -> " << str(dst)
                         << (*action == ConvertAction::Slice
                                 ? " slices"
                                 : " zero-pads")
                         << " a tensor dimension: give `dim`";
  if (!needsDim && getDim())
    return emitOpError() << "convert " << str(src) << " -> " << str(dst)
                         << " keeps the shape and takes no `dim`";
  if (!needsDim) {
    if (input != result)
      return emitOpError() << "convert " << str(src) << " -> " << str(dst)
                           << " keeps the type, but the result type "
                           << result << " differs from the operand type "
                           << input;
    return success();
  }
  return verifyOneDimChange(*this, input, result, *getDim());
}

LogicalResult ConvertOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<int64_t> groupSize = verifyGroup(*this, symbolTable);
  if (failed(groupSize))
    return failure();
  std::optional<ConvertAction> action = getConvertAction(getSrc(), getDst());
  if (!getDim() || !action)
    return success();
  if (*action == ConvertAction::Slice)
    return verifyDimDivided(*this, "slices", getInput().getType(),
                            getResult().getType(), *getDim(), *groupSize);
  return verifyDimMultiplied(*this, "zero-pads", getInput().getType(),
                             getResult().getType(), *getDim(), *groupSize);
}

//===----------------------------------------------------------------------===//
// ReinterpretOp
//===----------------------------------------------------------------------===//

LogicalResult ReinterpretOp::verify() {
  return verifyTypedCommon(*this, getView(), getAxes(), getSrc(), getDst());
}

LogicalResult
ReinterpretOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyGroup(*this, symbolTable);
}
