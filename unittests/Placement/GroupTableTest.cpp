//===- GroupTableTest.cpp - Hand-derived group tables ---------------------===//
//
// Every expected table below was written by hand from the definition "last
// axis fastest" (dense rank = dp*tp + tp_coord, expert rank = edp*ep + ep_coord
// when etp = 1), not by running the code under test. They cover the
// cross-lane cases where EP spans TP lanes and DP ranks.
//
//===----------------------------------------------------------------------===//

#include "moefold/Placement/MeshLayout.h"

#include "TestUtil.h"

using namespace moefold::placement;
using namespace moefold::placement::test;

namespace {

using Groups = std::vector<std::vector<int64_t>>;

Groups groupsOf(const MeshLayout &layout, llvm::StringRef view,
                llvm::StringRef axis) {
  Groups out;
  for (const RankGroup &group : getOrDie(layout.getGroups(view, {axis})))
    out.emplace_back(group.begin(), group.end());
  return out;
}

struct Expected4 {
  Groups dp, tp, edp, ep;
};

void expectTables(const MeshLayout &layout, const Expected4 &expected) {
  EXPECT_EQ(groupsOf(layout, "dense", "dp"), expected.dp);
  EXPECT_EQ(groupsOf(layout, "dense", "tp"), expected.tp);
  EXPECT_EQ(groupsOf(layout, "expert", "edp"), expected.edp);
  EXPECT_EQ(groupsOf(layout, "expert", "ep"), expected.ep);
  // etp = 1: every rank is alone.
  Groups singletons;
  for (int64_t rank = 0; rank < layout.getWorld(); ++rank)
    singletons.push_back({rank});
  EXPECT_EQ(groupsOf(layout, "expert", "etp"), singletons);
}

/// Dense coordinates (dp, tp) and expert coordinates (edp, ep, etp).
void expectCoords(const MeshLayout &layout, int64_t rank,
                  llvm::SmallVector<int64_t, 4> dense,
                  llvm::SmallVector<int64_t, 4> expert) {
  EXPECT_EQ(layout.getDenseView().getCoords(rank), dense) << "rank " << rank;
  EXPECT_EQ(layout.getExpertView().getCoords(rank), expert) << "rank " << rank;
  EXPECT_EQ(layout.getDenseView().getRank(dense), rank);
  EXPECT_EQ(layout.getExpertView().getRank(expert), rank);
}

// world 8 = dp4 x tp2 = edp2 x ep4: EP spans two TP lanes and two DP ranks.
TEST(GroupTable, World8Tp2Ep4) {
  MeshLayout layout = getOrDie(MeshLayout::create(8, 2, 4));
  expectTables(layout, {/*dp=*/{{0, 2, 4, 6}, {1, 3, 5, 7}},
                        /*tp=*/{{0, 1}, {2, 3}, {4, 5}, {6, 7}},
                        /*edp=*/{{0, 4}, {1, 5}, {2, 6}, {3, 7}},
                        /*ep=*/{{0, 1, 2, 3}, {4, 5, 6, 7}}});
  expectCoords(layout, 0, {0, 0}, {0, 0, 0});
  expectCoords(layout, 3, {1, 1}, {0, 3, 0});
  expectCoords(layout, 5, {2, 1}, {1, 1, 0});
  expectCoords(layout, 6, {3, 0}, {1, 2, 0});
}

// world 4 = dp1 x tp4 = ep4: the one EP group is the one TP group.
TEST(GroupTable, World4Tp4Ep4) {
  MeshLayout layout = getOrDie(MeshLayout::create(4, 4, 4));
  expectTables(layout, {/*dp=*/{{0}, {1}, {2}, {3}},
                        /*tp=*/{{0, 1, 2, 3}},
                        /*edp=*/{{0}, {1}, {2}, {3}},
                        /*ep=*/{{0, 1, 2, 3}}});
  expectCoords(layout, 1, {0, 1}, {0, 1, 0});
  expectCoords(layout, 3, {0, 3}, {0, 3, 0});
}

// world 4 = dp2 x tp2 = ep4: EP crosses both TP lanes and both DP ranks.
TEST(GroupTable, World4Tp2Ep4) {
  MeshLayout layout = getOrDie(MeshLayout::create(4, 2, 4));
  expectTables(layout, {/*dp=*/{{0, 2}, {1, 3}},
                        /*tp=*/{{0, 1}, {2, 3}},
                        /*edp=*/{{0}, {1}, {2}, {3}},
                        /*ep=*/{{0, 1, 2, 3}}});
  expectCoords(layout, 1, {0, 1}, {0, 1, 0});
  expectCoords(layout, 2, {1, 0}, {0, 2, 0});
  expectCoords(layout, 3, {1, 1}, {0, 3, 0});
}

// world 8 = dp2 x tp4 = edp2 x ep4: EP groups coincide with TP groups.
TEST(GroupTable, World8Tp4Ep4) {
  MeshLayout layout = getOrDie(MeshLayout::create(8, 4, 4));
  expectTables(layout, {/*dp=*/{{0, 4}, {1, 5}, {2, 6}, {3, 7}},
                        /*tp=*/{{0, 1, 2, 3}, {4, 5, 6, 7}},
                        /*edp=*/{{0, 4}, {1, 5}, {2, 6}, {3, 7}},
                        /*ep=*/{{0, 1, 2, 3}, {4, 5, 6, 7}}});
  expectCoords(layout, 2, {0, 2}, {0, 2, 0});
  expectCoords(layout, 6, {1, 2}, {1, 2, 0});
  expectCoords(layout, 7, {1, 3}, {1, 3, 0});
}

// world 6 = dp2 x tp3 = edp3 x ep2: EP groups straddle TP group borders.
TEST(GroupTable, World6Tp3Ep2) {
  MeshLayout layout = getOrDie(MeshLayout::create(6, 3, 2));
  expectTables(layout, {/*dp=*/{{0, 3}, {1, 4}, {2, 5}},
                        /*tp=*/{{0, 1, 2}, {3, 4, 5}},
                        /*edp=*/{{0, 2, 4}, {1, 3, 5}},
                        /*ep=*/{{0, 1}, {2, 3}, {4, 5}}});
  expectCoords(layout, 2, {0, 2}, {1, 0, 0});
  expectCoords(layout, 3, {1, 0}, {1, 1, 0});
  expectCoords(layout, 4, {1, 1}, {2, 0, 0});
  expectCoords(layout, 5, {1, 2}, {2, 1, 0});
}

// A view spec may reorder its axes; the last listed is still fastest.
TEST(GroupTable, CustomAxisOrder) {
  MeshSpec spec{8,
                {{"dense", {{"tp", 2}, {"dp", std::nullopt}}},
                 {"expert", {{"ep", 4}, {"etp", 1}, {"edp", std::nullopt}}}}};
  MeshLayout layout = getOrDie(MeshLayout::create(spec));
  // dense rank = tp*4 + dp; expert rank = ep*2 + edp.
  EXPECT_EQ(groupsOf(layout, "dense", "tp"),
            (Groups{{0, 4}, {1, 5}, {2, 6}, {3, 7}}));
  EXPECT_EQ(groupsOf(layout, "dense", "dp"),
            (Groups{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  EXPECT_EQ(groupsOf(layout, "expert", "ep"),
            (Groups{{0, 2, 4, 6}, {1, 3, 5, 7}}));
  EXPECT_EQ(groupsOf(layout, "expert", "edp"),
            (Groups{{0, 1}, {2, 3}, {4, 5}, {6, 7}}));
  EXPECT_EQ(layout.getDenseView().getCoords(5),
            (llvm::SmallVector<int64_t, 4>{1, 1}));
}

// Groups over several axes enumerate the first named axis slowest.
TEST(GroupTable, MultiAxisGroupOrder) {
  MeshLayout layout = getOrDie(MeshLayout::create(8, 2, 4));
  auto tpDp = getOrDie(layout.getGroups("dense", {"tp", "dp"}));
  ASSERT_EQ(tpDp.size(), 1u);
  EXPECT_EQ(tpDp[0], (RankGroup{0, 2, 4, 6, 1, 3, 5, 7}));
  auto dpTp = getOrDie(layout.getGroups("dense", {"dp", "tp"}));
  EXPECT_EQ(dpTp[0], (RankGroup{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(getOrDie(layout.getGroupOf("expert", {"ep", "etp"}, 6)),
            (RankGroup{4, 5, 6, 7}));
  EXPECT_EQ(layout.getDenseView().getIndexInGroup({1, 0}, 3), 1 * 4 + 1);
}

TEST(GroupTable, RenderWorld8Tp2Ep4) {
  MeshLayout layout = getOrDie(MeshLayout::create(8, 2, 4));
  EXPECT_EQ(renderGroupTable(layout),
            "mesh world=8 dense=[dp=4, tp=2] expert=[edp=2, ep=4, etp=1]\n"
            "dense.dp groups: {0,2,4,6} {1,3,5,7}\n"
            "dense.tp groups: {0,1} {2,3} {4,5} {6,7}\n"
            "expert.edp groups: {0,4} {1,5} {2,6} {3,7}\n"
            "expert.ep groups: {0,1,2,3} {4,5,6,7}\n"
            "expert.etp groups: {0} {1} {2} {3} {4} {5} {6} {7}\n"
            "rank 0: dp=0 tp=0 | edp=0 ep=0 etp=0\n"
            "rank 1: dp=0 tp=1 | edp=0 ep=1 etp=0\n"
            "rank 2: dp=1 tp=0 | edp=0 ep=2 etp=0\n"
            "rank 3: dp=1 tp=1 | edp=0 ep=3 etp=0\n"
            "rank 4: dp=2 tp=0 | edp=1 ep=0 etp=0\n"
            "rank 5: dp=2 tp=1 | edp=1 ep=1 etp=0\n"
            "rank 6: dp=3 tp=0 | edp=1 ep=2 etp=0\n"
            "rank 7: dp=3 tp=1 | edp=1 ep=3 etp=0\n");
  EXPECT_EQ(printToString(layout), renderGroupTable(layout));
}

TEST(GroupTable, RenderWorld1) {
  MeshLayout layout = getOrDie(MeshLayout::create(1, 1, 1));
  EXPECT_EQ(renderGroupTable(layout),
            "mesh world=1 dense=[dp=1, tp=1] expert=[edp=1, ep=1, etp=1]\n"
            "dense.dp groups: {0}\n"
            "dense.tp groups: {0}\n"
            "expert.edp groups: {0}\n"
            "expert.ep groups: {0}\n"
            "expert.etp groups: {0}\n"
            "rank 0: dp=0 tp=0 | edp=0 ep=0 etp=0\n");
}

} // namespace

// etp = tp (world 8 = dp4 x tp2 = edp2 x ep2 x etp2), by hand: expert rank =
// (edp*2 + ep)*2 + etp. The etp groups are the tp groups; the ep groups join
// the ranks with the same tp index within an edp block of 4.
TEST(GroupTable, EtpEqualsTp) {
  MeshLayout layout = getOrDie(MeshLayout::create(8, 2, 2, 2));
  Groups tpGroups = {{0, 1}, {2, 3}, {4, 5}, {6, 7}};
  EXPECT_EQ(groupsOf(layout, "dense", "tp"), tpGroups);
  EXPECT_EQ(groupsOf(layout, "expert", "etp"), tpGroups);
  EXPECT_EQ(groupsOf(layout, "expert", "ep"),
            (Groups{{0, 2}, {1, 3}, {4, 6}, {5, 7}}));
  EXPECT_EQ(groupsOf(layout, "expert", "edp"),
            (Groups{{0, 4}, {1, 5}, {2, 6}, {3, 7}}));
  EXPECT_EQ(groupsOf(layout, "dense", "dp"),
            (Groups{{0, 2, 4, 6}, {1, 3, 5, 7}}));
}
