//===- View.h - One factorisation of a rank set into named axes -*- C++ -*-===//
//
// A view names the ranks of a mesh by coordinates on an ordered list of axes,
// last axis fastest (row-major over ranks). The dense view (dp x tp) and the
// expert view (edp x ep x etp) are two views of the same ranks; communicator
// tables are the groups of a view's axes. A View is plain data: it is built
// and validated by MeshLayout, so its methods only assert their inputs.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_PLACEMENT_VIEW_H
#define MOEFOLD_PLACEMENT_VIEW_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace moefold::placement {

/// One named axis of a view.
struct MeshAxis {
  std::string name;
  int64_t size = 1;
  /// True for the axis the layout computes from the others (dp, edp); users
  /// never set it.
  bool derived = false;
};

/// Ranks that differ only in a chosen set of axes, ordered row-major over
/// those axes (first chosen axis slowest). One group = one communicator.
using RankGroup = llvm::SmallVector<int64_t, 8>;

/// An ordered list of named axes whose sizes multiply to the rank count.
class View {
public:
  View() = default;
  View(std::string name, llvm::SmallVector<MeshAxis, 4> axes);

  llvm::StringRef getName() const { return name; }
  llvm::ArrayRef<MeshAxis> getAxes() const { return axes; }
  unsigned getNumAxes() const { return axes.size(); }
  const MeshAxis &getAxis(unsigned axis) const { return axes[axis]; }
  int64_t getAxisSize(unsigned axis) const { return axes[axis].size; }
  /// Index of the axis called `axisName`, if the view has one.
  std::optional<unsigned> findAxis(llvm::StringRef axisName) const;

  /// Product of the axis sizes.
  int64_t getNumRanks() const { return numRanks; }
  /// How far apart in rank two neighbours on `axis` are.
  int64_t getStride(unsigned axis) const { return strides[axis]; }

  /// Coordinate of `rank` on every axis, in axis order.
  llvm::SmallVector<int64_t, 4> getCoords(int64_t rank) const;
  /// Coordinate of `rank` on one axis.
  int64_t getCoord(int64_t rank, unsigned axis) const;
  /// Inverse of getCoords.
  int64_t getRank(llvm::ArrayRef<int64_t> coords) const;

  /// All groups over `groupAxes` (distinct axis indices, in the order that
  /// numbers ranks inside a group: first slowest), sorted by first rank.
  /// With no axes every rank is its own group.
  std::vector<RankGroup> getGroups(llvm::ArrayRef<unsigned> groupAxes) const;
  /// The group over `groupAxes` that contains `rank`.
  RankGroup getGroupOf(llvm::ArrayRef<unsigned> groupAxes, int64_t rank) const;
  /// Position of `rank` inside its group over `groupAxes`.
  int64_t getIndexInGroup(llvm::ArrayRef<unsigned> groupAxes,
                          int64_t rank) const;

  /// Prints `name=[a=2, b=4]`.
  void print(llvm::raw_ostream &os) const;

private:
  std::string name;
  llvm::SmallVector<MeshAxis, 4> axes;
  llvm::SmallVector<int64_t, 4> strides;
  int64_t numRanks = 1;
};

llvm::raw_ostream &operator<<(llvm::raw_ostream &os, const View &view);
/// Prints `{0,2,4,6}`.
llvm::raw_ostream &printGroup(llvm::raw_ostream &os,
                              llvm::ArrayRef<int64_t> group);

} // namespace moefold::placement

#endif // MOEFOLD_PLACEMENT_VIEW_H
