//===- PlacementTest.cpp - Global placements, local shapes and slices -----===//

#include "moefold/Placement/Placement.h"
#include "moefold/Placement/MeshLayout.h"

#include "TestUtil.h"

using namespace moefold::placement;
using namespace moefold::placement::test;

namespace {

using Shape = llvm::SmallVector<int64_t, 4>;
using Slices = llvm::SmallVector<DimSlice, 4>;

class PlacementTest : public ::testing::Test {
protected:
  // dense = [dp=4, tp=2]: rank = 2*dp + tp.
  MeshLayout layout = getOrDie(MeshLayout::create(8, 2, 4));
  const View &dense = layout.getDenseView();

  TensorPlacement parse(llvm::StringRef text) {
    return getOrDie(TensorPlacement::parse(dense, text));
  }
};

TEST(AxisPlacementTest, PrintAndParse) {
  for (llvm::StringRef text :
       {"R", "S(0)", "S(12)", "P(sum)", "P(avg)", "P(max)"}) {
    AxisPlacement p = getOrDie(parseAxisPlacement(text));
    EXPECT_EQ(printToString(p), text.str());
  }
  EXPECT_EQ(getOrDie(parseAxisPlacement(" P ")),
            AxisPlacement::partial(ReduceKind::Sum));
  EXPECT_EQ(getOrDie(parseAxisPlacement("S( 3 )")), AxisPlacement::shard(3));
  EXPECT_ERROR_CONTAINS(parseAxisPlacement("S(x)"), "invalid placement 'S(x)'");
  EXPECT_ERROR_CONTAINS(parseAxisPlacement("S(-1)"), "invalid placement");
  EXPECT_ERROR_CONTAINS(parseAxisPlacement("P(min)"), "invalid placement");
  EXPECT_ERROR_CONTAINS(parseAxisPlacement("Q"), "invalid placement 'Q'");
}

TEST(AxisPlacementTest, Equality) {
  EXPECT_EQ(AxisPlacement::shard(1), AxisPlacement::shard(1));
  EXPECT_NE(AxisPlacement::shard(1), AxisPlacement::shard(0));
  EXPECT_NE(AxisPlacement::partial(ReduceKind::Sum),
            AxisPlacement::partial(ReduceKind::Avg));
  EXPECT_NE(AxisPlacement::replicate(), AxisPlacement::partial());
  EXPECT_TRUE(AxisPlacement::shard(2).isShardOf(2));
  EXPECT_FALSE(AxisPlacement::replicate().isShardOf(0));
}

TEST_F(PlacementTest, TensorPlacementPrintParse) {
  TensorPlacement p = parse("[dp=S(0), tp=P(avg)]");
  EXPECT_EQ(printToString(p), "[dp=S(0), tp=P(avg)]");
  EXPECT_EQ(parse("tp=S(1)"), parse("[dp=R, tp=S(1)]"));
  EXPECT_EQ(parse("[]"), TensorPlacement(dense));
  EXPECT_TRUE(p.isFor(dense));
  EXPECT_FALSE(p.isFor(layout.getExpertView()));
  EXPECT_ERROR_CONTAINS(TensorPlacement::parse(dense, "[ep=S(0)]"),
                        "unknown axis 'ep' in dense view");
  EXPECT_ERROR_CONTAINS(TensorPlacement::parse(dense, "[tp=R, tp=S(0)]"),
                        "axis 'tp' appears twice");
  EXPECT_ERROR_CONTAINS(TensorPlacement::parse(dense, "[tp]"),
                        "expected '<axis>=<placement>', got 'tp'");
  EXPECT_ERROR_CONTAINS(TensorPlacement::parse(dense, "[tp=S]"),
                        "invalid placement 'S'");
}

TEST_F(PlacementTest, ShardAxesAreInViewOrder) {
  TensorPlacement p = parse("[dp=S(1), tp=S(1)]");
  EXPECT_EQ(p.getShardAxes(1), (llvm::SmallVector<unsigned, 4>{0, 1}));
  EXPECT_TRUE(p.getShardAxes(0).empty());
}

TEST_F(PlacementTest, LocalShapes) {
  Shape global{8, 6};
  EXPECT_EQ(getOrDie(getLocalShape(dense, global, parse("[]"))), (Shape{8, 6}));
  EXPECT_EQ(getOrDie(getLocalShape(dense, global, parse("dp=S(0), tp=S(1)"))),
            (Shape{2, 3}));
  EXPECT_EQ(getOrDie(getLocalShape(dense, global, parse("dp=S(0), tp=S(0)"))),
            (Shape{1, 6}));
  // A pending reduction keeps the full shape.
  EXPECT_EQ(getOrDie(getLocalShape(dense, global, parse("dp=P(sum), tp=S(1)"))),
            (Shape{8, 3}));
  // Scalars are fine when nothing is sharded.
  EXPECT_EQ(getOrDie(getLocalShape(dense, {}, parse("dp=P(avg)"))), Shape{});
  // The expert view shards the expert dim over ep.
  const View &expert = layout.getExpertView();
  auto experts = getOrDie(TensorPlacement::parse(expert, "[ep=S(0)]"));
  EXPECT_EQ(getOrDie(getLocalShape(expert, {16, 4, 8}, experts)),
            (Shape{4, 4, 8}));
}

TEST_F(PlacementTest, NonDivisibleShardIsAnError) {
  EXPECT_ERROR_CONTAINS(getLocalShape(dense, {6, 6}, parse("dp=S(0)")),
                        "dim 0 of size 6 is not divisible by size 4 of axis "
                        "'dp'");
  EXPECT_ERROR_CONTAINS(getLocalShape(dense, {8, 5}, parse("tp=S(1)")),
                        "dim 1 of size 5 is not divisible by size 2 of axis "
                        "'tp'");
  // Divisible by the outer axis but not by both.
  EXPECT_ERROR_CONTAINS(getLocalShape(dense, {4, 6}, parse("dp=S(0), tp=S(0)")),
                        "dim 0 of size 4 (1 after sharding on 'dp') is not "
                        "divisible by size 2 of axis 'tp'");
  EXPECT_ERROR_CONTAINS(getLocalShape(dense, {8, 6}, parse("tp=S(2)")),
                        "axis 'tp' shards dim 2 but the tensor has rank 2");
  EXPECT_ERROR_CONTAINS(
      getLocalShape(layout.getExpertView(), {8}, parse("tp=S(0)")),
      "does not match view expert=[edp=2, ep=4, etp=1]");
}

TEST_F(PlacementTest, MaxDoesNotMixWithSum) {
  EXPECT_ERROR_CONTAINS(verifyPlacement(dense, {8}, parse("dp=P(max), tp=P")),
                        "P(max) on axis 'dp' cannot be combined with P(sum) "
                        "on axis 'tp'");
  EXPECT_EQ(
      errorMessage(verifyPlacement(dense, {8}, parse("dp=P(max), tp=P(max)"))),
      "<success>");
  EXPECT_EQ(
      errorMessage(verifyPlacement(dense, {8}, parse("dp=P(avg), tp=P(sum)"))),
      "<success>");
}

TEST_F(PlacementTest, SliceOffsets) {
  Shape global{8, 6};
  TensorPlacement p = parse("dp=S(0), tp=S(1)");
  // rank 5 = (dp 2, tp 1): rows [4, 6), columns [3, 6).
  EXPECT_EQ(getOrDie(getLocalSlice(dense, global, p, 5)),
            (Slices{{4, 2}, {3, 3}}));
  // rank 2 = (dp 1, tp 0): rows [2, 4), columns [0, 3).
  EXPECT_EQ(getOrDie(getLocalSlice(dense, global, p, 2)),
            (Slices{{2, 2}, {0, 3}}));
  // Replicated and partial dims are whole.
  EXPECT_EQ(getOrDie(getLocalSlice(dense, global, parse("dp=P, tp=S(0)"), 3)),
            (Slices{{4, 4}, {0, 6}}));
  EXPECT_ERROR_CONTAINS(getLocalSlice(dense, global, p, 8),
                        "rank 8 is outside dense view of 8 ranks");
}

// One dim over two axes: the earlier view axis (dp) is the outer block.
TEST_F(PlacementTest, SliceOffsetsOfDimShardedTwice) {
  TensorPlacement p = parse("dp=S(0), tp=S(0)");
  Shape global{16, 3};
  // block = dp * 2 + tp, block size 2.
  EXPECT_EQ(getOrDie(getLocalSlice(dense, global, p, 3)),
            (Slices{{(1 * 2 + 1) * 2, 2}, {0, 3}}));
  EXPECT_EQ(getOrDie(getLocalSlice(dense, global, p, 4)),
            (Slices{{(2 * 2 + 0) * 2, 2}, {0, 3}}));

  // With tp listed first in the view, tp is the outer block.
  MeshSpec spec{8,
                {{"dense", {{"tp", 2}, {"dp", std::nullopt}}},
                 {"expert", {{"edp", std::nullopt}, {"ep", 1}, {"etp", 1}}}}};
  MeshLayout swapped = getOrDie(MeshLayout::create(spec));
  const View &view = swapped.getDenseView();
  TensorPlacement q =
      getOrDie(TensorPlacement::parse(view, "dp=S(0), tp=S(0)"));
  // rank 6 = (tp 1, dp 2): block = tp * 4 + dp = 6.
  EXPECT_EQ(getOrDie(getLocalSlice(view, global, q, 6)),
            (Slices{{6 * 2, 2}, {0, 3}}));
  // rank 1 = (tp 0, dp 1): block 1.
  EXPECT_EQ(getOrDie(getLocalSlice(view, global, q, 1)),
            (Slices{{1 * 2, 2}, {0, 3}}));
}

// The slices of a fully sharded placement tile the tensor exactly once.
TEST_F(PlacementTest, SlicesTileTheTensor) {
  Shape global{8, 8};
  for (llvm::StringRef text : {"dp=S(0), tp=S(1)", "dp=S(0), tp=S(0)",
                               "dp=S(1), tp=S(0)", "dp=S(1), tp=S(1)"}) {
    TensorPlacement p = parse(text);
    std::vector<int> covered(8 * 8, 0);
    for (int64_t rank = 0; rank < 8; ++rank) {
      Slices s = getOrDie(getLocalSlice(dense, global, p, rank));
      for (int64_t i = s[0].offset; i < s[0].offset + s[0].size; ++i)
        for (int64_t j = s[1].offset; j < s[1].offset + s[1].size; ++j)
          ++covered[i * 8 + j];
    }
    EXPECT_EQ(covered, std::vector<int>(8 * 8, 1)) << text.str();
  }
}

} // namespace
