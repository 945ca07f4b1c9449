//===- PlanSweep.h - Every placement pair on a few meshes ------*- C++ -*-===//
//
// Property tests run over every (source, target) pair of placements of a
// small tensor on the views of several meshes, including the cross-lane
// ones. This header enumerates them.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_UNITTESTS_PLACEMENT_PLANSWEEP_H
#define MOEFOLD_UNITTESTS_PLACEMENT_PLANSWEEP_H

#include "moefold/Placement/MeshLayout.h"
#include "moefold/Placement/Placement.h"

#include "TestUtil.h"

#include <functional>
#include <vector>

namespace moefold::placement::test {

struct SweepCase {
  const View *view;
  llvm::SmallVector<int64_t, 4> shape;
  TensorPlacement src;
  TensorPlacement dst;
};

/// (world, tp, ep) of the swept meshes.
inline const int64_t kSweepMeshes[][3] = {{8, 2, 4}, {4, 4, 4}, {4, 2, 4},
                                          {8, 4, 4}, {6, 3, 2}, {8, 8, 2}};

/// All placements of a rank-`rank` tensor on `view`: every axis of size > 1
/// takes R, S(d), P(sum), P(avg) or P(max); size-1 axes stay R.
inline std::vector<TensorPlacement> allPlacements(const View &view,
                                                  int64_t rank) {
  std::vector<AxisPlacement> choices = {AxisPlacement::replicate()};
  for (int64_t d = 0; d < rank; ++d)
    choices.push_back(AxisPlacement::shard(d));
  for (ReduceKind k : {ReduceKind::Sum, ReduceKind::Avg, ReduceKind::Max})
    choices.push_back(AxisPlacement::partial(k));
  std::vector<TensorPlacement> out = {TensorPlacement(view)};
  for (unsigned axis = 0; axis < view.getNumAxes(); ++axis) {
    if (view.getAxisSize(axis) == 1)
      continue;
    std::vector<TensorPlacement> next;
    for (const TensorPlacement &p : out)
      for (const AxisPlacement &c : choices) {
        TensorPlacement q = p;
        q.set(axis, c);
        next.push_back(q);
      }
    out = std::move(next);
  }
  return out;
}

/// Calls `fn` for every pair of placements of every swept mesh and view. The
/// tensor has shape [world, 2 * world] (any nesting of axes divides it),
/// plus a rank-3 tensor on the first mesh.
inline void forEachSweepCase(const std::function<void(const SweepCase &)> &fn) {
  bool first = true;
  for (const auto &mesh : kSweepMeshes) {
    MeshLayout layout = getOrDie(MeshLayout::create(mesh[0], mesh[1], mesh[2]));
    int64_t world = mesh[0];
    std::vector<llvm::SmallVector<int64_t, 4>> shapes = {{world, 2 * world}};
    if (first)
      shapes.push_back({world, world, world});
    first = false;
    for (const View *view : {&layout.getDenseView(), &layout.getExpertView()})
      for (const auto &shape : shapes) {
        std::vector<TensorPlacement> all = allPlacements(*view, shape.size());
        for (const TensorPlacement &src : all)
          for (const TensorPlacement &dst : all)
            fn(SweepCase{view, shape, src, dst});
      }
  }
}

} // namespace moefold::placement::test

#endif // MOEFOLD_UNITTESTS_PLACEMENT_PLANSWEEP_H
