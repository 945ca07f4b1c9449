//===- MeshLayoutExhaustiveTest.cpp - Every small valid layout ------------===//
//
// For every world 1..8 and every tp, ep dividing it, checks the structural
// properties communicators rely on: coordinates are a bijection, and each
// axis's groups partition the ranks into sets that differ in that axis only.
// The reference coordinates are decoded here independently of View.
//
//===----------------------------------------------------------------------===//

#include "moefold/Placement/MeshLayout.h"

#include "TestUtil.h"

#include <map>
#include <set>

using namespace moefold::placement;
using namespace moefold::placement::test;

namespace {

/// Mixed-radix decode, last axis fastest.
llvm::SmallVector<int64_t, 4> referenceCoords(const View &view, int64_t rank) {
  llvm::SmallVector<int64_t, 4> coords(view.getNumAxes());
  for (unsigned axis = view.getNumAxes(); axis-- > 0;) {
    coords[axis] = rank % view.getAxisSize(axis);
    rank /= view.getAxisSize(axis);
  }
  return coords;
}

void checkCoordinates(const View &view, int64_t world) {
  ASSERT_EQ(view.getNumRanks(), world);
  for (int64_t rank = 0; rank < world; ++rank) {
    auto coords = view.getCoords(rank);
    EXPECT_EQ(coords, referenceCoords(view, rank)) << "rank " << rank;
    EXPECT_EQ(view.getRank(coords), rank);
    for (unsigned axis = 0; axis < view.getNumAxes(); ++axis)
      EXPECT_EQ(view.getCoord(rank, axis), coords[axis]);
  }
}

/// Checks the groups over `axes` of `view` against the definition.
void checkGroups(const View &view, llvm::ArrayRef<unsigned> axes) {
  SCOPED_TRACE(printToString(view) + " axes " + std::to_string(axes.size()));
  int64_t world = view.getNumRanks();
  int64_t groupSize = 1;
  for (unsigned axis : axes)
    groupSize *= view.getAxisSize(axis);
  auto inAxes = [&](unsigned axis) { return llvm::is_contained(axes, axis); };

  std::vector<RankGroup> groups = view.getGroups(axes);
  ASSERT_EQ(static_cast<int64_t>(groups.size()), world / groupSize);
  std::map<int64_t, size_t> groupOfRank;
  int64_t previousFirst = -1;
  for (auto [g, group] : llvm::enumerate(groups)) {
    ASSERT_EQ(static_cast<int64_t>(group.size()), groupSize);
    EXPECT_GT(group.front(), previousFirst) << "groups sorted by first rank";
    previousFirst = group.front();
    for (auto [index, rank] : llvm::enumerate(group)) {
      EXPECT_TRUE(groupOfRank.insert({rank, g}).second)
          << "rank " << rank << " in two groups";
      // Members differ from the first only on the group axes...
      auto first = referenceCoords(view, group.front());
      auto coords = referenceCoords(view, rank);
      for (unsigned axis = 0; axis < view.getNumAxes(); ++axis) {
        if (!inAxes(axis)) {
          EXPECT_EQ(coords[axis], first[axis]) << "rank " << rank;
        }
      }
      // ...and are ordered row-major over the group axes, first slowest.
      int64_t expectedIndex = 0;
      for (unsigned axis : axes)
        expectedIndex = expectedIndex * view.getAxisSize(axis) + coords[axis];
      EXPECT_EQ(static_cast<int64_t>(index), expectedIndex);
      EXPECT_EQ(view.getIndexInGroup(axes, rank), expectedIndex);
      EXPECT_EQ(view.getGroupOf(axes, rank), group);
    }
  }
  ASSERT_EQ(static_cast<int64_t>(groupOfRank.size()), world) << "a partition";

  // Ranks that agree on every other axis share a group.
  for (int64_t a = 0; a < world; ++a)
    for (int64_t b = 0; b < world; ++b) {
      auto ca = referenceCoords(view, a), cb = referenceCoords(view, b);
      bool sameOutside = true;
      for (unsigned axis = 0; axis < view.getNumAxes(); ++axis)
        sameOutside &= inAxes(axis) || ca[axis] == cb[axis];
      EXPECT_EQ(sameOutside, groupOfRank[a] == groupOfRank[b])
          << "ranks " << a << ", " << b;
    }
}

void checkAllGroupings(const View &view) {
  unsigned n = view.getNumAxes();
  for (unsigned a = 0; a < n; ++a) {
    checkGroups(view, {a});
    for (unsigned b = 0; b < n; ++b)
      if (b != a)
        checkGroups(view, {a, b});
  }
  checkGroups(view, {});
}

TEST(MeshLayoutExhaustive, EveryDivisibleTpAndEp) {
  int layouts = 0;
  for (int64_t world = 1; world <= 8; ++world)
    for (int64_t tp = 1; tp <= world; ++tp)
      for (int64_t ep = 1; ep <= world; ++ep) {
        if (world % tp != 0 || world % ep != 0)
          continue;
        SCOPED_TRACE("world " + std::to_string(world) + " tp " +
                     std::to_string(tp) + " ep " + std::to_string(ep));
        MeshLayout layout = getOrDie(MeshLayout::create(world, tp, ep));
        ++layouts;
        EXPECT_EQ(layout.getWorld(), world);
        EXPECT_EQ(layout.getTp(), tp);
        EXPECT_EQ(layout.getDp(), world / tp);
        EXPECT_EQ(layout.getEp(), ep);
        EXPECT_EQ(layout.getEtp(), 1);
        EXPECT_EQ(layout.getEdp(), world / ep);
        EXPECT_EQ(layout.getDp() * layout.getTp(), world);
        EXPECT_EQ(layout.getEdp() * layout.getEp() * layout.getEtp(), world);
        checkCoordinates(layout.getDenseView(), world);
        checkCoordinates(layout.getExpertView(), world);
        checkAllGroupings(layout.getDenseView());
        checkAllGroupings(layout.getExpertView());
      }
  // sum over world of d(world)^2 for world 1..8.
  EXPECT_EQ(layouts, 1 + 4 + 4 + 9 + 4 + 16 + 4 + 16);
}

TEST(MeshLayoutExhaustive, NamedLookupsAgreeWithViews) {
  MeshLayout layout = getOrDie(MeshLayout::create(8, 2, 4));
  for (const View *view : {&layout.getDenseView(), &layout.getExpertView()}) {
    EXPECT_EQ(layout.lookupView(view->getName()), view);
    for (unsigned axis = 0; axis < view->getNumAxes(); ++axis) {
      llvm::StringRef name = view->getAxis(axis).name;
      EXPECT_EQ(getOrDie(layout.getGroups(view->getName(), {name})),
                view->getGroups({axis}));
      for (int64_t rank = 0; rank < 8; ++rank)
        EXPECT_EQ(getOrDie(layout.getGroupOf(view->getName(), {name}, rank)),
                  view->getGroupOf({axis}, rank));
    }
  }
  EXPECT_EQ(layout.lookupView("pipeline"), nullptr);
}

} // namespace
