#include "moefold/Placement/MeshLayout.h"
#include <gtest/gtest.h>
TEST(Placeholder, Links) { EXPECT_EQ(moefold::placement::placeholder(), 0); }
