//===- MeshLayout.h - A rank set with a dense and an expert view -*- C++
//-*-===//
//
// MoE folding puts two factorisations on the same ranks: the dense view
// (dp x tp) for attention, norms and dense MLPs, and the expert view
// (edp x ep x etp) for routed experts. Exactly one axis per view (dp, edp) is
// derived so that every view covers the whole world:
//
//   tp * dp == ep * etp * edp == world,  world % (ep * etp) == 0.
//
// MeshLayout is the only way to build the views, so every View reachable
// from it satisfies these invariants; violations come back as llvm::Error
// whose message names the numbers.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_PLACEMENT_MESHLAYOUT_H
#define MOEFOLD_PLACEMENT_MESHLAYOUT_H

#include "moefold/Placement/View.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace moefold::placement {

// The names the layout understands. A view spec may list its axes in any
// order (that order fixes which axis is fastest), but only these axes.
inline constexpr llvm::StringLiteral kDenseView = "dense";
inline constexpr llvm::StringLiteral kExpertView = "expert";
inline constexpr llvm::StringLiteral kDpAxis = "dp";
inline constexpr llvm::StringLiteral kTpAxis = "tp";
inline constexpr llvm::StringLiteral kEdpAxis = "edp";
inline constexpr llvm::StringLiteral kEpAxis = "ep";
inline constexpr llvm::StringLiteral kEtpAxis = "etp";

/// One axis as the user describes it; the derived axis may omit its size.
struct AxisSpec {
  std::string name;
  std::optional<int64_t> size;
};

/// A view as the user describes it: a name and its axes, last fastest.
struct ViewSpec {
  std::string name;
  std::vector<AxisSpec> axes;
};

/// The general description a layout is built from.
struct MeshSpec {
  int64_t world = 1;
  std::vector<ViewSpec> views;
};

/// Rejects the expert tensor-parallel sizes the compiler does not implement:
/// etp must be 1 or equal tp (the etp groups are then the tp groups). This is
/// the one place that says so.
llvm::Error checkEtpSupported(int64_t etp, int64_t tp);

/// A validated world of ranks with its dense and expert views.
class MeshLayout {
public:
  /// Builds and validates a layout from a general description. Both views
  /// must be present, each with all of its axes.
  static llvm::Expected<MeshLayout> create(const MeshSpec &spec);
  /// The usual layout: dense = [dp, tp], expert = [edp, ep, etp].
  static llvm::Expected<MeshLayout> create(int64_t world, int64_t tp,
                                           int64_t ep, int64_t etp = 1);

  int64_t getWorld() const { return world; }
  const View &getDenseView() const { return dense; }
  const View &getExpertView() const { return expert; }
  /// The view called `viewName`, or null.
  const View *lookupView(llvm::StringRef viewName) const;

  int64_t getDp() const;
  int64_t getTp() const;
  int64_t getEdp() const;
  int64_t getEp() const;
  int64_t getEtp() const;

  /// Groups over named axes of a named view (see View::getGroups); errors
  /// name the unknown view or axis.
  llvm::Expected<std::vector<RankGroup>>
  getGroups(llvm::StringRef viewName,
            llvm::ArrayRef<llvm::StringRef> axisNames) const;
  /// The group over named axes that contains `rank`.
  llvm::Expected<RankGroup>
  getGroupOf(llvm::StringRef viewName,
             llvm::ArrayRef<llvm::StringRef> axisNames, int64_t rank) const;

  /// Prints the group table (see renderGroupTable).
  void print(llvm::raw_ostream &os) const;

private:
  MeshLayout(int64_t world, View dense, View expert)
      : world(world), dense(std::move(dense)), expert(std::move(expert)) {}

  llvm::Expected<llvm::SmallVector<unsigned, 4>>
  resolveAxes(const View &view,
              llvm::ArrayRef<llvm::StringRef> axisNames) const;

  int64_t world;
  View dense;
  View expert;
};

/// The full group table, a stable text format that tests FileCheck:
///
///   mesh world=8 dense=[dp=4, tp=2] expert=[edp=2, ep=4, etp=1]
///   dense.dp groups: {0,2,4,6} {1,3,5,7}
///   dense.tp groups: {0,1} {2,3} {4,5} {6,7}
///   expert.edp groups: {0,4} {1,5} {2,6} {3,7}
///   expert.ep groups: {0,1,2,3} {4,5,6,7}
///   expert.etp groups: {0} {1} {2} {3} {4} {5} {6} {7}
///   rank 0: dp=0 tp=0 | edp=0 ep=0 etp=0
///   ...
///
/// Axes appear in view order; every line ends with a newline.
std::string renderGroupTable(const MeshLayout &layout);

llvm::raw_ostream &operator<<(llvm::raw_ostream &os, const MeshLayout &layout);

} // namespace moefold::placement

#endif // MOEFOLD_PLACEMENT_MESHLAYOUT_H
