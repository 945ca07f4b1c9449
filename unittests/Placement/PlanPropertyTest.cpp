//===- PlanPropertyTest.cpp - Plans exist and type-check for every pair ---===//
//
// Over every placement pair of the sweep: the planner succeeds exactly when
// the change is supported, each forward step starts from the placement,
// local type and shape the previous one left, and running the transposes in
// reverse turns the gradient types of the target into the gradient types of
// the source.
//
//===----------------------------------------------------------------------===//

#include "moefold/Placement/Redistribution.h"

#include "PlanSweep.h"
#include "TestUtil.h"

using namespace moefold::placement;
using namespace moefold::placement::test;

namespace {

bool mixesMaxWithSum(const TensorPlacement &p) {
  bool max = false, linear = false;
  for (unsigned axis = 0; axis < p.getNumAxes(); ++axis)
    if (p[axis].isPartial())
      (p[axis].getReduceKind() == ReduceKind::Max ? max : linear) = true;
  return max && linear;
}

/// Whether DESIGN.md's collectives can take `src` to `dst`.
bool isSupported(const TensorPlacement &src, const TensorPlacement &dst) {
  if (mixesMaxWithSum(src) || mixesMaxWithSum(dst))
    return false;
  for (unsigned axis = 0; axis < src.getNumAxes(); ++axis) {
    const AxisPlacement &from = src[axis], &to = dst[axis];
    if (from == to)
      continue;
    if (to.isPartial())
      return false;
    if (from.isPartial() && from.getReduceKind() == ReduceKind::Max &&
        !to.isReplicate())
      return false;
  }
  return true;
}

std::string describe(const SweepCase &c) {
  return printToString(*c.view) + " " + printToString(c.src) + " -> " +
         printToString(c.dst);
}

TEST(PlanProperty, PlansExistExactlyForSupportedPairs) {
  int planned = 0, rejected = 0;
  forEachSweepCase([&](const SweepCase &c) {
    auto plan = planRedistribution(*c.view, c.shape, c.src, c.dst);
    bool supported = isSupported(c.src, c.dst);
    EXPECT_EQ(static_cast<bool>(plan), supported)
        << describe(c) << ": "
        << (plan ? printToString(*plan) : llvm::toString(plan.takeError()));
    if (plan)
      ++planned;
    else
      ++rejected;
    llvm::consumeError(plan.takeError());
  });
  EXPECT_GT(planned, 1000);
  EXPECT_GT(rejected, 1000);
}

TEST(PlanProperty, StepsChainAndTransposesGiveGradientTypes) {
  forEachSweepCase([&](const SweepCase &c) {
    if (!isSupported(c.src, c.dst))
      return;
    RedistributionPlan plan =
        getOrDie(planRedistribution(*c.view, c.shape, c.src, c.dst));
    SCOPED_TRACE(printToString(plan));

    // Forward: placements, types and shapes chain from src to dst.
    TensorPlacement placement = c.src;
    llvm::SmallVector<LocalType, 4> types = getLocalTypes(c.src);
    auto shape = getOrDie(getLocalShape(*c.view, c.shape, c.src));
    for (const PlanStep &step : plan.steps) {
      const RedistStep &f = step.forward;
      ASSERT_EQ(f.srcPlacement, placement[f.axis]);
      ASSERT_EQ(f.srcType, types[f.axis]);
      ASSERT_EQ(f.srcLocalShape, shape);
      EXPECT_EQ(f.srcType, getLocalType(f.srcPlacement));
      EXPECT_EQ(f.dstType, getLocalType(f.dstPlacement));
      placement.set(f.axis, f.dstPlacement);
      types[f.axis] = f.dstType;
      shape = f.dstLocalShape;
      EXPECT_EQ(getOrDie(getLocalShape(*c.view, c.shape, placement)), shape);
    }
    EXPECT_EQ(placement, c.dst);
    EXPECT_EQ(types, getLocalTypes(c.dst));

    // Backward: from the gradient types of dst to those of src.
    for (LocalType &t : types)
      t = getGradientType(t);
    for (const RedistStep &t : plan.getBackwardSteps()) {
      ASSERT_EQ(t.srcType, types[t.axis]);
      ASSERT_EQ(t.srcLocalShape, shape);
      types[t.axis] = t.dstType;
      shape = t.dstLocalShape;
    }
    llvm::SmallVector<LocalType, 4> expected;
    for (LocalType t : getLocalTypes(c.src))
      expected.push_back(getGradientType(t));
    EXPECT_EQ(types, expected);
    EXPECT_EQ(shape, getOrDie(getLocalShape(*c.view, c.shape, c.src)));
  });
}

// An axis is gathered at most once and placed at most once; an axis whose
// R or P placement does not change is never touched.
TEST(PlanProperty, EachAxisMovesAtMostTwice) {
  forEachSweepCase([&](const SweepCase &c) {
    if (!isSupported(c.src, c.dst))
      return;
    RedistributionPlan plan =
        getOrDie(planRedistribution(*c.view, c.shape, c.src, c.dst));
    llvm::SmallVector<int, 4> moves(c.view->getNumAxes(), 0);
    for (const PlanStep &step : plan.steps)
      ++moves[step.forward.axis];
    for (unsigned axis = 0; axis < moves.size(); ++axis) {
      EXPECT_LE(moves[axis], 2) << printToString(plan);
      if (c.src[axis] == c.dst[axis] && !c.src[axis].isShard()) {
        EXPECT_EQ(moves[axis], 0) << printToString(plan);
      }
    }
  });
}

} // namespace
