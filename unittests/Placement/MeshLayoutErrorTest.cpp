//===- MeshLayoutErrorTest.cpp - Invalid layouts name their numbers -------===//

#include "moefold/Placement/MeshLayout.h"

#include "TestUtil.h"

using namespace moefold::placement;
using namespace moefold::placement::test;

namespace {

std::string str(int64_t v) { return std::to_string(v); }

// Every tp or ep that does not divide the world is rejected, naming both.
TEST(MeshLayoutErrors, EveryNonDivisibleTpAndEp) {
  for (int64_t world = 1; world <= 8; ++world)
    for (int64_t tp = 1; tp <= 9; ++tp)
      for (int64_t ep = 1; ep <= 9; ++ep) {
        SCOPED_TRACE("world " + str(world) + " tp " + str(tp) + " ep " +
                     str(ep));
        auto layout = MeshLayout::create(world, tp, ep);
        if (world % tp != 0) {
          EXPECT_ERROR_CONTAINS(layout.takeError(),
                                "stage size " + str(world) +
                                    " is not divisible by tp = " + str(tp));
        } else if (world % ep != 0) {
          EXPECT_ERROR_CONTAINS(layout.takeError(),
                                "stage size " + str(world) +
                                    " is not divisible by ep*etp = " + str(ep) +
                                    "*1");
        } else {
          EXPECT_TRUE(static_cast<bool>(layout));
          llvm::consumeError(layout.takeError());
        }
      }
}

TEST(MeshLayoutErrors, Ep3OnWorld8) {
  EXPECT_ERROR_CONTAINS(MeshLayout::create(8, 2, 3),
                        "expert view: stage size 8 is not divisible by ep*etp = 3*1 = 3");
}

// etp must be 1 or tp (the etp groups are the tp groups); anything else is
// refused explicitly, even where the arithmetic works out.
TEST(MeshLayoutErrors, EtpMustBeOneOrTp) {
  EXPECT_ERROR_CONTAINS(MeshLayout::create(8, 2, 2, 4),
                        "etp = 4 must be 1 or tp = 2");
  EXPECT_ERROR_CONTAINS(MeshLayout::create(8, 1, 4, 2),
                        "etp = 2 must be 1 or tp = 1");
  EXPECT_ERROR_CONTAINS(checkEtpSupported(3, 2), "etp = 3 must be 1 or tp = 2");
  EXPECT_EQ(errorMessage(checkEtpSupported(1, 4)), "<success>");
  EXPECT_EQ(errorMessage(checkEtpSupported(4, 4)), "<success>");
}

TEST(MeshLayoutErrors, NonPositiveSizes) {
  EXPECT_ERROR_CONTAINS(MeshLayout::create(8, 2, 0),
                        "axis 'ep' has size 0; axis sizes must be positive");
  EXPECT_ERROR_CONTAINS(MeshLayout::create(8, 0, 4),
                        "axis 'tp' has size 0; axis sizes must be positive");
  EXPECT_ERROR_CONTAINS(MeshLayout::create(8, -2, 4),
                        "axis 'tp' has size -2; axis sizes must be positive");
  EXPECT_ERROR_CONTAINS(MeshLayout::create(8, 2, 4, 0),
                        "axis 'etp' has size 0; axis sizes must be positive");
  EXPECT_ERROR_CONTAINS(MeshLayout::create(0, 1, 1),
                        "world size must be positive, got 0");
}

MeshSpec defaultSpec(int64_t world, int64_t tp, int64_t ep) {
  return MeshSpec{
      world,
      {{"dense", {{"dp", std::nullopt}, {"tp", tp}}},
       {"expert", {{"edp", std::nullopt}, {"ep", ep}, {"etp", 1}}}}};
}

TEST(MeshLayoutErrors, DuplicateAxis) {
  MeshSpec spec = defaultSpec(8, 2, 4);
  spec.views[0].axes.push_back({"tp", 2});
  EXPECT_ERROR_CONTAINS(MeshLayout::create(spec),
                        "axis 'tp' is listed more than once in the dense view");
}

TEST(MeshLayoutErrors, UnknownAxis) {
  MeshSpec spec = defaultSpec(8, 2, 4);
  spec.views[0].axes.push_back({"foo", 2});
  EXPECT_ERROR_CONTAINS(MeshLayout::create(spec),
                        "unknown axis 'foo' in the dense view (expected dp, tp)");
  // An expert axis is unknown in the dense view.
  spec = defaultSpec(8, 2, 4);
  spec.views[0].axes[1] = {"ep", 2};
  EXPECT_ERROR_CONTAINS(MeshLayout::create(spec),
                        "unknown axis 'ep' in the dense view (expected dp, tp)");
  spec = defaultSpec(8, 2, 4);
  spec.views[1].axes[2] = {"tp", 1};
  EXPECT_ERROR_CONTAINS(
      MeshLayout::create(spec),
      "unknown axis 'tp' in the expert view (expected edp, ep, etp)");
}

TEST(MeshLayoutErrors, MissingOrUnknownViewsAndAxes) {
  MeshSpec spec = defaultSpec(8, 2, 4);
  spec.views.pop_back();
  EXPECT_ERROR_CONTAINS(MeshLayout::create(spec), "missing expert view");

  spec = defaultSpec(8, 2, 4);
  spec.views.push_back(spec.views[0]);
  EXPECT_ERROR_CONTAINS(MeshLayout::create(spec), "view 'dense' appears twice");

  spec = defaultSpec(8, 2, 4);
  spec.views[0].name = "pipeline";
  EXPECT_ERROR_CONTAINS(MeshLayout::create(spec),
                        "unknown view 'pipeline' (expected dense, expert)");

  spec = defaultSpec(8, 2, 4);
  spec.views[1].axes.pop_back();
  EXPECT_ERROR_CONTAINS(MeshLayout::create(spec),
                        "expert view is missing axis 'etp'");

  spec = defaultSpec(8, 2, 4);
  spec.views[0].axes[1].size = std::nullopt;
  EXPECT_ERROR_CONTAINS(MeshLayout::create(spec),
                        "axis 'tp' of the dense view needs a size");
}

// The derived axis may be given, but then the view must multiply to world.
TEST(MeshLayoutErrors, DerivedSizeMustMatchWorld) {
  MeshSpec spec = defaultSpec(8, 3, 4);
  spec.views[0].axes[0].size = 2;
  EXPECT_ERROR_CONTAINS(
      MeshLayout::create(spec),
      "dense view product dp*tp = 2*3 = 6 does not equal world 8");

  spec = defaultSpec(8, 2, 4);
  spec.views[1].axes[0].size = 4;
  EXPECT_ERROR_CONTAINS(
      MeshLayout::create(spec),
      "expert view product edp*ep*etp = 4*4*1 = 16 does not equal world 8");

  spec = defaultSpec(8, 2, 4);
  spec.views[0].axes[0].size = 4;
  spec.views[1].axes[0].size = 2;
  MeshLayout layout = getOrDie(MeshLayout::create(spec));
  EXPECT_EQ(layout.getDp(), 4);
  EXPECT_EQ(layout.getEdp(), 2);
}

TEST(MeshLayoutErrors, NamedGroupLookups) {
  MeshLayout layout = getOrDie(MeshLayout::create(8, 2, 4));
  EXPECT_ERROR_CONTAINS(layout.getGroups("dense", {"ep"}),
                        "unknown axis 'ep' in the dense view");
  EXPECT_ERROR_CONTAINS(layout.getGroups("pipeline", {"pp"}),
                        "unknown view 'pipeline'");
  EXPECT_ERROR_CONTAINS(layout.getGroups("expert", {"ep", "ep"}),
                        "axis 'ep' appears twice");
  EXPECT_ERROR_CONTAINS(layout.getGroupOf("dense", {"tp"}, 8),
                        "rank 8 is outside world 8");
}

} // namespace
