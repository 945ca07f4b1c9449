//===- LocalTypeTest.cpp - Local SPMD types and the gradient map ----------===//

#include "moefold/Placement/LocalType.h"

#include "TestUtil.h"

using namespace moefold::placement;
using namespace moefold::placement::test;

namespace {

constexpr LocalType kAll[] = {LocalType::Replicate, LocalType::Invariant,
                              LocalType::Varying, LocalType::Partial};

TEST(LocalTypeTest, GradientMap) {
  EXPECT_EQ(getGradientType(LocalType::Replicate), LocalType::Partial);
  EXPECT_EQ(getGradientType(LocalType::Invariant), LocalType::Invariant);
  EXPECT_EQ(getGradientType(LocalType::Varying), LocalType::Varying);
  EXPECT_EQ(getGradientType(LocalType::Partial), LocalType::Replicate);
  for (LocalType type : kAll)
    EXPECT_EQ(getGradientType(getGradientType(type)), type);
}

TEST(LocalTypeTest, FromPlacement) {
  EXPECT_EQ(getLocalType(AxisPlacement::replicate()), LocalType::Replicate);
  EXPECT_EQ(getLocalType(AxisPlacement::shard(3)), LocalType::Varying);
  for (ReduceKind kind : {ReduceKind::Sum, ReduceKind::Avg, ReduceKind::Max})
    EXPECT_EQ(getLocalType(AxisPlacement::partial(kind)), LocalType::Partial);
}

TEST(LocalTypeTest, Printing) {
  EXPECT_EQ(printToString(LocalType::Replicate), "R");
  EXPECT_EQ(printToString(LocalType::Invariant), "I");
  EXPECT_EQ(printToString(LocalType::Varying), "V");
  EXPECT_EQ(printToString(LocalType::Partial), "P");
}

} // namespace
