//===- Placement.cpp - Global placements, local shapes and slices ---------===//

#include "moefold/Placement/Placement.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cassert>

using namespace moefold::placement;
using llvm::StringRef;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

template <typename T> static std::string toString(const T &value) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << value;
  return out;
}

StringRef moefold::placement::stringifyReduceKind(ReduceKind kind) {
  switch (kind) {
  case ReduceKind::Sum:
    return "sum";
  case ReduceKind::Avg:
    return "avg";
  case ReduceKind::Max:
    return "max";
  }
  llvm_unreachable("unknown ReduceKind");
}

//===----------------------------------------------------------------------===//
// AxisPlacement
//===----------------------------------------------------------------------===//

int64_t AxisPlacement::getShardDim() const {
  assert(isShard() && "only S(d) has a dim");
  return dim;
}

ReduceKind AxisPlacement::getReduceKind() const {
  assert(isPartial() && "only P(...) has a reduction");
  return reduce;
}

bool AxisPlacement::operator==(const AxisPlacement &other) const {
  if (kind != other.kind)
    return false;
  if (isShard())
    return dim == other.dim;
  if (isPartial())
    return reduce == other.reduce;
  return true;
}

void AxisPlacement::print(llvm::raw_ostream &os) const {
  switch (kind) {
  case Kind::Replicate:
    os << 'R';
    return;
  case Kind::Shard:
    os << "S(" << dim << ')';
    return;
  case Kind::Partial:
    os << "P(" << stringifyReduceKind(reduce) << ')';
    return;
  }
}

llvm::Expected<AxisPlacement>
moefold::placement::parseAxisPlacement(StringRef text) {
  StringRef s = text.trim();
  if (s == "R")
    return AxisPlacement::replicate();
  if (s == "P")
    return AxisPlacement::partial(ReduceKind::Sum);
  StringRef arg;
  if (s.consume_front("S(") && s.consume_back(")")) {
    int64_t dim;
    if (!s.trim().getAsInteger(10, dim) && dim >= 0)
      return AxisPlacement::shard(dim);
  } else if (s.consume_front("P(") && s.consume_back(")")) {
    arg = s.trim();
    if (arg == "sum")
      return AxisPlacement::partial(ReduceKind::Sum);
    if (arg == "avg")
      return AxisPlacement::partial(ReduceKind::Avg);
    if (arg == "max")
      return AxisPlacement::partial(ReduceKind::Max);
  }
  return makeError("invalid placement '" + text.trim() +
                   "' (expected R, S(<dim>), P(sum), P(avg) or P(max))");
}

//===----------------------------------------------------------------------===//
// TensorPlacement
//===----------------------------------------------------------------------===//

TensorPlacement::TensorPlacement(const View &view)
    : viewName(view.getName().str()) {
  for (const MeshAxis &axis : view.getAxes()) {
    axisNames.push_back(axis.name);
    placements.push_back(AxisPlacement::replicate());
  }
}

llvm::Expected<TensorPlacement> TensorPlacement::get(
    const View &view,
    llvm::ArrayRef<std::pair<StringRef, AxisPlacement>> named) {
  TensorPlacement result(view);
  llvm::SmallVector<bool, 4> seen(view.getNumAxes(), false);
  for (const auto &[name, placement] : named) {
    std::optional<unsigned> axis = view.findAxis(name);
    if (!axis)
      return makeError("unknown axis '" + name + "' in " + view.getName() +
                       " view");
    if (seen[*axis])
      return makeError("axis '" + name + "' appears twice");
    seen[*axis] = true;
    result.placements[*axis] = placement;
  }
  return result;
}

llvm::Expected<TensorPlacement> TensorPlacement::parse(const View &view,
                                                       StringRef text) {
  StringRef body = text.trim();
  body.consume_front("[");
  body.consume_back("]");
  llvm::SmallVector<StringRef, 4> entries;
  body.split(entries, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  llvm::SmallVector<std::pair<StringRef, AxisPlacement>, 4> named;
  for (StringRef entry : entries) {
    auto [name, value] = entry.split('=');
    if (value.empty())
      return makeError("expected '<axis>=<placement>', got '" + entry.trim() +
                       "'");
    llvm::Expected<AxisPlacement> placement = parseAxisPlacement(value);
    if (!placement)
      return placement.takeError();
    named.push_back({name.trim(), *placement});
  }
  return get(view, named);
}

llvm::SmallVector<unsigned, 4>
TensorPlacement::getShardAxes(int64_t dim) const {
  llvm::SmallVector<unsigned, 4> axes;
  for (auto [axis, placement] : llvm::enumerate(placements))
    if (placement.isShardOf(dim))
      axes.push_back(axis);
  return axes;
}

bool TensorPlacement::isFor(const View &view) const {
  if (viewName != view.getName() || axisNames.size() != view.getNumAxes())
    return false;
  for (auto [name, axis] : llvm::zip_equal(axisNames, view.getAxes()))
    if (name != axis.name)
      return false;
  return true;
}

bool TensorPlacement::operator==(const TensorPlacement &other) const {
  return viewName == other.viewName && axisNames == other.axisNames &&
         placements == other.placements;
}

void TensorPlacement::print(llvm::raw_ostream &os) const {
  os << '[';
  llvm::interleave(
      llvm::zip_equal(axisNames, placements), os,
      [&](auto entry) {
        os << std::get<0>(entry) << '=' << std::get<1>(entry);
      },
      ", ");
  os << ']';
}

llvm::raw_ostream &moefold::placement::operator<<(llvm::raw_ostream &os,
                                                  const AxisPlacement &p) {
  p.print(os);
  return os;
}

llvm::raw_ostream &moefold::placement::operator<<(llvm::raw_ostream &os,
                                                  const TensorPlacement &p) {
  p.print(os);
  return os;
}

//===----------------------------------------------------------------------===//
// Local shapes and slices
//===----------------------------------------------------------------------===//

llvm::Error
moefold::placement::verifyPlacement(const View &view,
                                    llvm::ArrayRef<int64_t> globalShape,
                                    const TensorPlacement &placement) {
  if (!placement.isFor(view))
    return makeError("placement " + toString(placement) + " of view '" +
                     placement.getViewName() + "' does not match view " +
                     toString(view));
  int64_t rank = globalShape.size();
  for (unsigned axis = 0; axis < placement.getNumAxes(); ++axis) {
    const AxisPlacement &p = placement[axis];
    if (p.isShard() && p.getShardDim() >= rank)
      return makeError("axis '" + view.getAxis(axis).name + "' shards dim " +
                       llvm::Twine(p.getShardDim()) +
                       " but the tensor has rank " + llvm::Twine(rank));
  }
  // max does not commute with sum, so mixing them would make the value
  // depend on the order in which the axes are reduced.
  std::optional<unsigned> maxAxis, linearAxis;
  for (unsigned axis = 0; axis < placement.getNumAxes(); ++axis) {
    const AxisPlacement &p = placement[axis];
    if (!p.isPartial())
      continue;
    std::optional<unsigned> &slot =
        p.getReduceKind() == ReduceKind::Max ? maxAxis : linearAxis;
    if (!slot)
      slot = axis;
  }
  if (maxAxis && linearAxis)
    return makeError("P(max) on axis '" + view.getAxis(*maxAxis).name +
                     "' cannot be combined with " +
                     toString(placement[*linearAxis]) + " on axis '" +
                     view.getAxis(*linearAxis).name +
                     "' (the result would depend on the reduction order)");

  for (int64_t dim = 0; dim < rank; ++dim) {
    int64_t size = globalShape[dim];
    std::string sharded;
    for (unsigned axis : placement.getShardAxes(dim)) {
      const MeshAxis &meshAxis = view.getAxis(axis);
      if (size % meshAxis.size != 0)
        return makeError("dim " + llvm::Twine(dim) + " of size " +
                         llvm::Twine(globalShape[dim]) + sharded +
                         " is not divisible by size " +
                         llvm::Twine(meshAxis.size) + " of axis '" +
                         meshAxis.name + "'");
      size /= meshAxis.size;
      sharded = " (" + std::to_string(size) + " after sharding on '" +
                meshAxis.name + "')";
    }
  }
  return llvm::Error::success();
}

llvm::Expected<llvm::SmallVector<int64_t, 4>>
moefold::placement::getLocalShape(const View &view,
                                  llvm::ArrayRef<int64_t> globalShape,
                                  const TensorPlacement &placement) {
  if (llvm::Error err = verifyPlacement(view, globalShape, placement))
    return std::move(err);
  llvm::SmallVector<int64_t, 4> shape(globalShape);
  for (unsigned axis = 0; axis < placement.getNumAxes(); ++axis)
    if (placement[axis].isShard())
      shape[placement[axis].getShardDim()] /= view.getAxisSize(axis);
  return shape;
}

llvm::Expected<llvm::SmallVector<DimSlice, 4>>
moefold::placement::getLocalSlice(const View &view,
                                  llvm::ArrayRef<int64_t> globalShape,
                                  const TensorPlacement &placement,
                                  int64_t rank) {
  if (rank < 0 || rank >= view.getNumRanks())
    return makeError("rank " + llvm::Twine(rank) + " is outside " +
                     view.getName() + " view of " +
                     llvm::Twine(view.getNumRanks()) + " ranks");
  auto shape = getLocalShape(view, globalShape, placement);
  if (!shape)
    return shape.takeError();
  llvm::SmallVector<DimSlice, 4> slices;
  for (auto [dim, localSize] : llvm::enumerate(*shape)) {
    // Block index over the sharding axes, earlier view axis outer.
    int64_t block = 0;
    for (unsigned axis : placement.getShardAxes(dim))
      block = block * view.getAxisSize(axis) + view.getCoord(rank, axis);
    slices.push_back({block * localSize, localSize});
  }
  return slices;
}
