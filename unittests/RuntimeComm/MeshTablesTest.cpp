//===- MeshTablesTest.cpp - the hand-written tables match the compiler ----===//
//
// The comm tests build their groups from MeshTables.h; this (serial) test
// pins those tables to MeshLayout::getGroups, the compiler's source of the
// group tables, so that the runtime is tested on the groups it will be given.
//
//===----------------------------------------------------------------------===//

#include "MeshTables.h"

#include "moefold/Placement/MeshLayout.h"

#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

using namespace comm_test;
using namespace moefold::placement;

namespace {

TEST(CommMeshTables, MatchTheCompilersGroups) {
  for (const MeshTable &mesh : meshTables()) {
    SCOPED_TRACE(mesh.name);
    auto layout = MeshLayout::create(mesh.world, mesh.tp, mesh.ep);
    ASSERT_TRUE(static_cast<bool>(layout))
        << llvm::toString(layout.takeError());
    for (const AxisTable &axis : mesh.axes) {
      SCOPED_TRACE(std::string(axis.view) + "." + axis.axis);
      llvm::StringRef names[] = {axis.axis};
      auto groups = layout->getGroups(axis.view, names);
      ASSERT_TRUE(static_cast<bool>(groups))
          << llvm::toString(groups.takeError());
      ASSERT_EQ(groups->size(), axis.groups.size());
      for (size_t i = 0; i < groups->size(); ++i)
        EXPECT_EQ(Group((*groups)[i].begin(), (*groups)[i].end()),
                  axis.groups[i])
            << "group " << i;
    }
  }
}

// Every rank is in exactly one group of each axis (the create_group
// contract: the groups of one call partition the world).
TEST(CommMeshTables, GroupsPartitionTheWorld) {
  for (const MeshTable &mesh : meshTables())
    for (const AxisTable &axis : mesh.axes) {
      std::vector<int> seen(static_cast<size_t>(mesh.world), 0);
      for (const Group &g : axis.groups)
        for (int64_t r : g)
          ++seen[static_cast<size_t>(r)];
      for (int64_t r = 0; r < mesh.world; ++r)
        EXPECT_EQ(seen[static_cast<size_t>(r)], 1)
            << mesh.name << " " << axis.axis << " rank " << r;
    }
}

} // namespace
