//===- View.cpp - Rank <-> coordinates and axis groups --------------------===//

#include "moefold/Placement/View.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cassert>

using namespace moefold::placement;

View::View(std::string name, llvm::SmallVector<MeshAxis, 4> axes)
    : name(std::move(name)), axes(std::move(axes)) {
  // Last axis fastest: the stride of an axis is the product of the sizes of
  // the axes after it.
  strides.resize(this->axes.size());
  int64_t stride = 1;
  for (unsigned i = this->axes.size(); i-- > 0;) {
    assert(this->axes[i].size > 0 && "axis sizes are validated by MeshLayout");
    strides[i] = stride;
    stride *= this->axes[i].size;
  }
  numRanks = stride;
}

std::optional<unsigned> View::findAxis(llvm::StringRef axisName) const {
  for (auto [i, axis] : llvm::enumerate(axes))
    if (axis.name == axisName)
      return i;
  return std::nullopt;
}

int64_t View::getCoord(int64_t rank, unsigned axis) const {
  assert(rank >= 0 && rank < numRanks && "rank out of range");
  return (rank / strides[axis]) % axes[axis].size;
}

llvm::SmallVector<int64_t, 4> View::getCoords(int64_t rank) const {
  llvm::SmallVector<int64_t, 4> coords;
  for (unsigned axis = 0; axis < axes.size(); ++axis)
    coords.push_back(getCoord(rank, axis));
  return coords;
}

int64_t View::getRank(llvm::ArrayRef<int64_t> coords) const {
  assert(coords.size() == axes.size() && "one coordinate per axis");
  int64_t rank = 0;
  for (auto [axis, coord] : llvm::enumerate(coords)) {
    assert(coord >= 0 && coord < axes[axis].size && "coordinate out of range");
    rank += coord * strides[axis];
  }
  return rank;
}

#ifndef NDEBUG
static bool areDistinctAxes(llvm::ArrayRef<unsigned> groupAxes,
                            unsigned numAxes) {
  llvm::SmallVector<bool, 4> seen(numAxes, false);
  for (unsigned axis : groupAxes) {
    if (axis >= numAxes || seen[axis])
      return false;
    seen[axis] = true;
  }
  return true;
}
#endif

RankGroup View::getGroupOf(llvm::ArrayRef<unsigned> groupAxes,
                           int64_t rank) const {
  assert(areDistinctAxes(groupAxes, axes.size()) && "invalid group axes");
  // Zero the group axes to find the group's base rank, then enumerate the
  // group axes row-major (first listed slowest) from there.
  int64_t base = rank;
  int64_t groupSize = 1;
  for (unsigned axis : groupAxes) {
    base -= getCoord(rank, axis) * strides[axis];
    groupSize *= axes[axis].size;
  }
  RankGroup group;
  group.reserve(groupSize);
  for (int64_t index = 0; index < groupSize; ++index) {
    int64_t member = base;
    int64_t rest = index;
    for (unsigned i = groupAxes.size(); i-- > 0;) {
      unsigned axis = groupAxes[i];
      member += (rest % axes[axis].size) * strides[axis];
      rest /= axes[axis].size;
    }
    group.push_back(member);
  }
  return group;
}

int64_t View::getIndexInGroup(llvm::ArrayRef<unsigned> groupAxes,
                              int64_t rank) const {
  assert(areDistinctAxes(groupAxes, axes.size()) && "invalid group axes");
  int64_t index = 0;
  for (unsigned axis : groupAxes)
    index = index * axes[axis].size + getCoord(rank, axis);
  return index;
}

std::vector<RankGroup>
View::getGroups(llvm::ArrayRef<unsigned> groupAxes) const {
  // A group's first rank is its member with all group coordinates zero;
  // visiting ranks in order and keeping those yields groups sorted by it.
  std::vector<RankGroup> groups;
  for (int64_t rank = 0; rank < numRanks; ++rank) {
    bool isBase = llvm::all_of(
        groupAxes, [&](unsigned axis) { return getCoord(rank, axis) == 0; });
    if (isBase)
      groups.push_back(getGroupOf(groupAxes, rank));
  }
  return groups;
}

void View::print(llvm::raw_ostream &os) const {
  os << name << "=[";
  llvm::interleave(
      axes, os,
      [&](const MeshAxis &axis) { os << axis.name << '=' << axis.size; }, ", ");
  os << ']';
}

llvm::raw_ostream &moefold::placement::operator<<(llvm::raw_ostream &os,
                                                  const View &view) {
  view.print(os);
  return os;
}

llvm::raw_ostream &
moefold::placement::printGroup(llvm::raw_ostream &os,
                               llvm::ArrayRef<int64_t> group) {
  os << '{';
  llvm::interleave(group, os, ",");
  return os << '}';
}
