//===- SimulationTest.cpp - Plans move the right data between ranks ------===//
//
// Runs plans on concrete per-rank data with the reference interpreter in
// Simulator.cpp: the shards of a global tensor under the source placement
// must become the shards of the same tensor under the target placement, and
// each plan's backward steps must be the exact adjoint of its forward steps
// (the linear-algebra meaning of "transpose").
//
//===----------------------------------------------------------------------===//

#include "Simulator.h"

#include "PlanSweep.h"
#include "TestUtil.h"

#include <cmath>

using namespace moefold::placement;
using namespace moefold::placement::test;

namespace {

llvm::Expected<RedistributionPlan> planFor(const SweepCase &c) {
  return planRedistribution(*c.view, c.shape, c.src, c.dst);
}

bool hasMax(const TensorPlacement &p) {
  for (unsigned axis = 0; axis < p.getNumAxes(); ++axis)
    if (p[axis].isPartial() && p[axis].getReduceKind() == ReduceKind::Max)
      return true;
  return false;
}

TEST(Simulation, ForwardPlansProduceTargetShards) {
  std::mt19937 rng(1234);
  int simulated = 0;
  forEachSweepCase([&](const SweepCase &c) {
    auto plan = planFor(c);
    if (!plan) {
      llvm::consumeError(plan.takeError());
      return;
    }
    Tensor global = Tensor::random(c.shape, rng);
    Shards shards = distribute(*c.view, global, c.src, rng);
    ASSERT_LT(shardError(*c.view, global, c.src, shards), 1e-12);
    Shards result = applySteps(*c.view, forwardSteps(*plan), shards);
    EXPECT_LT(shardError(*c.view, global, c.dst, result), 1e-9)
        << printToString(*plan);
    ++simulated;
  });
  EXPECT_GT(simulated, 1000);
}

TEST(Simulation, BackwardStepsAreAdjointOfForward) {
  std::mt19937 rng(99);
  forEachSweepCase([&](const SweepCase &c) {
    // max is not linear; its backward needs the argmax mask.
    if (hasMax(c.src))
      return;
    auto plan = planFor(c);
    if (!plan) {
      llvm::consumeError(plan.takeError());
      return;
    }
    auto srcShape = getOrDie(getLocalShape(*c.view, c.shape, c.src));
    auto dstShape = getOrDie(getLocalShape(*c.view, c.shape, c.dst));
    Shards x, y;
    for (int64_t rank = 0; rank < c.view->getNumRanks(); ++rank) {
      x.push_back(Tensor::random(srcShape, rng));
      y.push_back(Tensor::random(dstShape, rng));
    }
    Shards fx = applySteps(*c.view, forwardSteps(*plan), x);
    Shards by = applySteps(*c.view, plan->getBackwardSteps(), y);
    double lhs = dot(fx, y), rhs = dot(x, by);
    EXPECT_NEAR(lhs, rhs, 1e-9 * (1 + std::abs(lhs))) << printToString(*plan);
  });
}

// Spelled-out cases on the cross-lane meshes, for readable failures.
TEST(Simulation, CrossLaneExpertAllToAll) {
  // world 4 = tp4 = ep4: tokens sharded over ep become experts sharded over
  // ep; every rank talks to every other.
  MeshLayout layout = getOrDie(MeshLayout::create(4, 4, 4));
  const View &expert = layout.getExpertView();
  TensorPlacement src = getOrDie(TensorPlacement::parse(expert, "ep=S(1)"));
  TensorPlacement dst = getOrDie(TensorPlacement::parse(expert, "ep=S(0)"));
  RedistributionPlan plan =
      getOrDie(planRedistribution(expert, {4, 8, 2}, src, dst));
  ASSERT_EQ(plan.steps.size(), 1u);
  EXPECT_EQ(plan.steps[0].forward.kind, CollectiveKind::AllToAll);
  // Global tensor: element value = its flat index.
  Tensor global = Tensor::zeros({4, 8, 2});
  for (size_t i = 0; i < global.data.size(); ++i)
    global.data[i] = i;
  std::mt19937 rng(0);
  Shards out = applySteps(expert, forwardSteps(plan),
                          distribute(expert, global, src, rng));
  // Rank 2 now holds expert 2: elements [32, 48).
  ASSERT_EQ(out[2].shape, (llvm::SmallVector<int64_t, 4>{1, 8, 2}));
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(out[2].data[i], 32 + i);
}

TEST(Simulation, EdpReductionUsesStridedGroups) {
  // world 8 = tp4 x dp2 = edp2 x ep4: edp groups are {0,4} {1,5} ...
  MeshLayout layout = getOrDie(MeshLayout::create(8, 4, 4));
  const View &expert = layout.getExpertView();
  TensorPlacement src =
      getOrDie(TensorPlacement::parse(expert, "edp=P(avg), ep=S(0)"));
  TensorPlacement dst = getOrDie(TensorPlacement::parse(expert, "ep=S(0)"));
  RedistributionPlan plan =
      getOrDie(planRedistribution(expert, {8, 3}, src, dst));
  ASSERT_EQ(plan.steps.size(), 1u);
  EXPECT_EQ(plan.steps[0].forward.scaleDivisor, 2);
  // Rank r holds expert gradient rows (r % 4) * 2 .. +2, all ones times
  // (r / 4 + 1); the average over edp is 1.5.
  Shards in;
  for (int64_t rank = 0; rank < 8; ++rank) {
    Tensor t = Tensor::zeros({2, 3});
    for (double &x : t.data)
      x = rank / 4 + 1;
    in.push_back(t);
  }
  Shards out = applySteps(expert, forwardSteps(plan), in);
  for (int64_t rank = 0; rank < 8; ++rank)
    for (double x : out[rank].data)
      EXPECT_DOUBLE_EQ(x, 1.5) << "rank " << rank;
}

} // namespace
