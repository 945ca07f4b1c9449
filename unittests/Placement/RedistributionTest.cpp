//===- RedistributionTest.cpp - Plans, transposes and their local types ---===//

#include "moefold/Placement/Redistribution.h"
#include "moefold/Placement/MeshLayout.h"

#include "TestUtil.h"

using namespace moefold::placement;
using namespace moefold::placement::test;

namespace {

using Shape = llvm::SmallVector<int64_t, 4>;
constexpr LocalType R = LocalType::Replicate;
constexpr LocalType V = LocalType::Varying;
constexpr LocalType P = LocalType::Partial;

class RedistributionTest : public ::testing::Test {
protected:
  // dense = [dp=4, tp=2].
  MeshLayout layout = getOrDie(MeshLayout::create(8, 2, 4));
  const View &dense = layout.getDenseView();
  Shape shape{8, 4};

  RedistributionPlan plan(llvm::StringRef src, llvm::StringRef dst) {
    return getOrDie(planRedistribution(
        dense, shape, getOrDie(TensorPlacement::parse(dense, src)),
        getOrDie(TensorPlacement::parse(dense, dst))));
  }
  llvm::Expected<RedistributionPlan> tryPlan(llvm::StringRef src,
                                             llvm::StringRef dst) {
    return planRedistribution(dense, shape,
                              getOrDie(TensorPlacement::parse(dense, src)),
                              getOrDie(TensorPlacement::parse(dense, dst)));
  }
  /// The only step of a one-step plan.
  PlanStep single(llvm::StringRef src, llvm::StringRef dst) {
    RedistributionPlan p = plan(src, dst);
    EXPECT_EQ(p.steps.size(), 1u) << printToString(p);
    return p.steps.front();
  }
};

void expectStep(const RedistStep &step, CollectiveKind kind,
                llvm::StringRef axis, llvm::StringRef from, llvm::StringRef to,
                LocalType srcType, LocalType dstType, int64_t srcDim,
                int64_t dstDim) {
  EXPECT_EQ(stringifyCollectiveKind(step.kind), stringifyCollectiveKind(kind));
  EXPECT_EQ(step.axisName, axis.str());
  EXPECT_EQ(printToString(step.srcPlacement), from.str());
  EXPECT_EQ(printToString(step.dstPlacement), to.str());
  EXPECT_EQ(step.srcType, srcType);
  EXPECT_EQ(step.dstType, dstType);
  EXPECT_EQ(step.srcDim, srcDim);
  EXPECT_EQ(step.dstDim, dstDim);
}

TEST_F(RedistributionTest, IdentityHasNoSteps) {
  EXPECT_TRUE(plan("dp=S(0), tp=P", "dp=S(0), tp=P").steps.empty());
  EXPECT_TRUE(plan("[]", "[]").steps.empty());
}

TEST_F(RedistributionTest, LocalSliceTransposesToZeroPad) {
  PlanStep s = single("tp=R", "tp=S(1)");
  expectStep(s.forward, CollectiveKind::LocalSlice, "tp", "R", "S(1)", R, V, -1,
             1);
  expectStep(s.transpose, CollectiveKind::ZeroPad, "tp", "S(1)", "P(sum)", V, P,
             1, -1);
  EXPECT_EQ(s.forward.srcLocalShape, (Shape{8, 4}));
  EXPECT_EQ(s.forward.dstLocalShape, (Shape{8, 2}));
  EXPECT_EQ(s.transpose.srcLocalShape, (Shape{8, 2}));
  EXPECT_EQ(s.transpose.dstLocalShape, (Shape{8, 4}));
}

TEST_F(RedistributionTest, AllGatherTransposesToReduceScatter) {
  PlanStep s = single("dp=S(0)", "dp=R");
  expectStep(s.forward, CollectiveKind::AllGather, "dp", "S(0)", "R", V, R, 0,
             -1);
  expectStep(s.transpose, CollectiveKind::ReduceScatter, "dp", "P(sum)", "S(0)",
             P, V, -1, 0);
  EXPECT_EQ(s.forward.srcLocalShape, (Shape{2, 4}));
  EXPECT_EQ(s.transpose.reduce, ReduceKind::Sum);
  EXPECT_EQ(s.transpose.scaleDivisor, 1);
}

// DESIGN §4: all_reduce P->R has transpose P->R.
TEST_F(RedistributionTest, AllReduceTransposesToItself) {
  PlanStep s = single("tp=P(sum)", "tp=R");
  expectStep(s.forward, CollectiveKind::AllReduce, "tp", "P(sum)", "R", P, R,
             -1, -1);
  expectStep(s.transpose, CollectiveKind::AllReduce, "tp", "P(sum)", "R", P, R,
             -1, -1);
  EXPECT_EQ(s.forward.scaleDivisor, 1);
  EXPECT_FALSE(s.transpose.maskedByArgmax);
}

TEST_F(RedistributionTest, AverageIsSumThenScale) {
  PlanStep s = single("dp=P(avg)", "dp=R");
  EXPECT_EQ(s.forward.kind, CollectiveKind::AllReduce);
  EXPECT_EQ(s.forward.reduce, ReduceKind::Sum);
  EXPECT_EQ(s.forward.scaleDivisor, 4);
  EXPECT_DOUBLE_EQ(s.forward.getScale(), 0.25);
  // The transpose of a scaled sum is the same scaled sum.
  EXPECT_EQ(s.transpose.kind, CollectiveKind::AllReduce);
  EXPECT_EQ(s.transpose.scaleDivisor, 4);

  PlanStep rs = single("tp=P(avg)", "tp=S(0)");
  EXPECT_EQ(rs.forward.kind, CollectiveKind::ReduceScatter);
  EXPECT_EQ(rs.forward.scaleDivisor, 2);
  EXPECT_EQ(rs.transpose.kind, CollectiveKind::AllGather);
  EXPECT_EQ(rs.transpose.scaleDivisor, 2);
}

TEST_F(RedistributionTest, ReduceScatterTransposesToAllGather) {
  PlanStep s = single("tp=P(sum)", "tp=S(0)");
  expectStep(s.forward, CollectiveKind::ReduceScatter, "tp", "P(sum)", "S(0)",
             P, V, -1, 0);
  expectStep(s.transpose, CollectiveKind::AllGather, "tp", "S(0)", "R", V, R, 0,
             -1);
  EXPECT_EQ(s.forward.dstLocalShape, (Shape{4, 4}));
}

TEST_F(RedistributionTest, AllToAllTransposesToInverse) {
  PlanStep s = single("tp=S(0)", "tp=S(1)");
  expectStep(s.forward, CollectiveKind::AllToAll, "tp", "S(0)", "S(1)", V, V, 0,
             1);
  expectStep(s.transpose, CollectiveKind::AllToAll, "tp", "S(1)", "S(0)", V, V,
             1, 0);
  EXPECT_EQ(s.forward.srcLocalShape, (Shape{4, 4}));
  EXPECT_EQ(s.forward.dstLocalShape, (Shape{8, 2}));
}

TEST_F(RedistributionTest, MaxOnlyAllReducesToReplicated) {
  PlanStep s = single("tp=P(max)", "tp=R");
  EXPECT_EQ(s.forward.kind, CollectiveKind::AllReduce);
  EXPECT_EQ(s.forward.reduce, ReduceKind::Max);
  EXPECT_EQ(s.transpose.kind, CollectiveKind::AllReduce);
  EXPECT_EQ(s.transpose.reduce, ReduceKind::Sum);
  EXPECT_TRUE(s.transpose.maskedByArgmax);

  EXPECT_ERROR_CONTAINS(tryPlan("tp=P(max)", "tp=S(0)"),
                        "cannot redistribute on axis 'tp' from P(max) to "
                        "S(0)");
  EXPECT_ERROR_CONTAINS(tryPlan("tp=P(max)", "tp=S(0)"),
                        "not differentiable as a sum");
  EXPECT_ERROR_CONTAINS(tryPlan("dp=P(max)", "dp=P(sum)"),
                        "cannot redistribute on axis 'dp' from P(max) to "
                        "P(sum)");
}

TEST_F(RedistributionTest, UnsupportedChangesNameAxisAndPlacements) {
  EXPECT_ERROR_CONTAINS(tryPlan("tp=R", "tp=P(sum)"),
                        "cannot redistribute on axis 'tp' from R to P(sum) "
                        "(in [dp=R, tp=R] -> [dp=R, tp=P(sum)]): no "
                        "collective creates a pending reduction");
  EXPECT_ERROR_CONTAINS(tryPlan("dp=S(1)", "dp=P(avg)"),
                        "on axis 'dp' from S(1) to P(avg)");
  EXPECT_ERROR_CONTAINS(tryPlan("dp=P(sum)", "dp=P(avg)"),
                        "changing the reduction of a pending value");
  // Placements must fit the shape.
  EXPECT_ERROR_CONTAINS(
      planRedistribution(dense, {6, 4}, TensorPlacement(dense),
                         getOrDie(TensorPlacement::parse(dense, "dp=S(0)"))),
      "dim 0 of size 6 is not divisible by size 4 of axis "
      "'dp'");
}

// Reductions come before gathers, whatever the axis order.
TEST_F(RedistributionTest, MultiAxisOrderAndPrinting) {
  RedistributionPlan p = plan("dp=S(0), tp=P(sum)", "dp=R, tp=S(1)");
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_EQ(p.steps[0].forward.kind, CollectiveKind::ReduceScatter);
  EXPECT_EQ(p.steps[1].forward.kind, CollectiveKind::AllGather);
  EXPECT_EQ(printToString(p),
            "redistribute dense 8x4 [dp=S(0), tp=P(sum)] -> [dp=R, tp=S(1)]\n"
            "  forward 0: reduce_scatter tp: P(sum) -> S(1) (P -> V) 2x4 -> "
            "2x2 op=sum\n"
            "  forward 1: all_gather dp: S(0) -> R (V -> R) 2x2 -> 8x2\n"
            "  backward 0: reduce_scatter dp: P(sum) -> S(0) (P -> V) 8x2 -> "
            "2x2 op=sum\n"
            "  backward 1: all_gather tp: S(1) -> R (V -> R) 2x2 -> 2x4\n");

  RedistributionPlan q = plan("dp=P(avg), tp=R", "dp=R, tp=S(0)");
  EXPECT_EQ(printToString(q.steps[0].forward),
            "local_slice tp: R -> S(0) (R -> V) 8x4 -> 4x4");
  EXPECT_EQ(printToString(q.steps[1].forward),
            "all_reduce dp: P(avg) -> R (P -> R) 4x4 -> 4x4 op=sum "
            "scale=1/4");
  EXPECT_EQ(printToString(plan("tp=P(max)", "tp=R").steps[0].transpose),
            "all_reduce tp: P(sum) -> R (P -> R) 8x4 -> 8x4 op=sum "
            "masked-by-argmax");
}

// A dim sharded over dp (outer) and tp (inner) can only lose tp first.
TEST_F(RedistributionTest, NestedShardsGatherInnermostFirst) {
  RedistributionPlan p = plan("dp=S(0), tp=S(0)", "dp=R, tp=R");
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_EQ(p.steps[0].forward.axisName, "tp");
  EXPECT_EQ(p.steps[1].forward.axisName, "dp");

  // Keeping tp on dim 0 but dropping dp moves tp from the inner to the only
  // position, so it is gathered and sliced again.
  RedistributionPlan q = plan("dp=S(0), tp=S(0)", "dp=R, tp=S(0)");
  ASSERT_EQ(q.steps.size(), 3u);
  EXPECT_EQ(q.steps[0].forward.kind, CollectiveKind::AllGather);
  EXPECT_EQ(q.steps[0].forward.axisName, "tp");
  EXPECT_EQ(q.steps[1].forward.kind, CollectiveKind::AllGather);
  EXPECT_EQ(q.steps[1].forward.axisName, "dp");
  EXPECT_EQ(q.steps[2].forward.kind, CollectiveKind::LocalSlice);
  EXPECT_EQ(q.steps[2].forward.axisName, "tp");

  // Adding the outer axis under an existing inner one needs the same dance.
  RedistributionPlan r = plan("tp=S(0)", "dp=S(0), tp=S(0)");
  ASSERT_EQ(r.steps.size(), 3u);
  EXPECT_EQ(r.steps[0].forward.kind, CollectiveKind::AllGather);
  EXPECT_EQ(r.steps[1].forward.kind, CollectiveKind::LocalSlice);
  EXPECT_EQ(r.steps[1].forward.axisName, "dp");
  EXPECT_EQ(r.steps[2].forward.axisName, "tp");

  // Adding an inner axis is a plain slice.
  RedistributionPlan s = plan("dp=S(0)", "dp=S(0), tp=S(0)");
  ASSERT_EQ(s.steps.size(), 1u);
  EXPECT_EQ(s.steps[0].forward.kind, CollectiveKind::LocalSlice);
  EXPECT_EQ(s.steps[0].forward.dstLocalShape, (Shape{1, 4}));
}

TEST(RedistStepTest, TransposeOfTransposeHasOriginalKindAndTypes) {
  MeshLayout layout = getOrDie(MeshLayout::create(8, 2, 4));
  const View &dense = layout.getDenseView();
  for (auto [src, dst] :
       {std::pair("tp=R", "tp=S(1)"), std::pair("tp=S(0)", "tp=R"),
        std::pair("tp=P", "tp=R"), std::pair("tp=P", "tp=S(0)"),
        std::pair("tp=S(0)", "tp=S(1)")}) {
    RedistributionPlan p = getOrDie(planRedistribution(
        dense, {8, 4}, getOrDie(TensorPlacement::parse(dense, src)),
        getOrDie(TensorPlacement::parse(dense, dst))));
    ASSERT_EQ(p.steps.size(), 1u);
    RedistStep back = getTranspose(p.steps[0].transpose);
    const RedistStep &fwd = p.steps[0].forward;
    EXPECT_EQ(back.kind, fwd.kind) << src << " -> " << dst;
    EXPECT_EQ(back.srcType, fwd.srcType);
    EXPECT_EQ(back.dstType, fwd.dstType);
    EXPECT_EQ(back.srcDim, fwd.srcDim);
    EXPECT_EQ(back.dstDim, fwd.dstDim);
    EXPECT_EQ(back.srcLocalShape, fwd.srcLocalShape);
    EXPECT_EQ(back.dstLocalShape, fwd.dstLocalShape);
  }
}

} // namespace
