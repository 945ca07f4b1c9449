//===- MpiTestSupport.h - scaffolding of the tests under mpirun -*- C++ -*-===//
//
// Shared by the MPI backend's suite (RuntimeComm) and the NCCL backend's
// (RuntimeNccl): both run one GoogleTest binary under mpirun against the
// mfrt_comm.h API of whichever backend they link. Here: the rank queries,
// the test groups built from the hand-written tables, the status macros and
// the printer that keeps non-zero ranks to their failures.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_UNITTESTS_RUNTIMECOMM_MPITESTSUPPORT_H
#define MOEFOLD_UNITTESTS_RUNTIMECOMM_MPITESTSUPPORT_H

#include "MeshTables.h"
#include "TestIndex.h"

#include "moefold_runtime/mfrt_comm.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace comm_test {

inline int64_t myRank() { return mfrt_comm_rank(); }
inline int64_t worldSize() { return mfrt_comm_world(); }

/// One group of a hand-written table as this rank sees it.
struct TestGroup {
  std::string name; // "w8-tp2-ep4/expert.ep", or "world"
  Group members;    // this rank's group, from the table
  int64_t pos = 0;  // this rank's index in members
  mfrt_comm_group *handle = nullptr;
};

/// "world" plus every axis group of every table of this world size, created
/// (collectively) on first use.
inline const std::vector<TestGroup> &testGroups() {
  static std::vector<TestGroup> groups = [] {
    std::vector<TestGroup> out;
    TestGroup world;
    world.name = "world";
    world.handle = mfrt_comm_world_group();
    for (int64_t r = 0; r < worldSize(); ++r)
      world.members.push_back(r);
    world.pos = myRank();
    out.push_back(world);
    for (const MeshTable &mesh : meshTables()) {
      if (mesh.world != worldSize())
        continue;
      for (const AxisTable &axis : mesh.axes) {
        TestGroup g;
        g.name = std::string(mesh.name) + "/" + axis.view + "." + axis.axis;
        g.members = groupOf(axis, myRank());
        for (size_t i = 0; i < g.members.size(); ++i)
          if (g.members[i] == myRank())
            g.pos = static_cast<int64_t>(i);
        mfrt_status s = mfrt_comm_create_group(
            g.name.c_str(), g.members.data(),
            static_cast<int64_t>(g.members.size()), &g.handle);
        if (s != MFRT_OK)
          mfrt_comm_abort(1, mfrt_last_error());
        out.push_back(g);
      }
    }
    return out;
  }();
  return groups;
}

/// Prints failed assertions of a non-zero rank, prefixed with the rank.
/// (The test's name is remembered in OnTestStart: gtest holds its own mutex
/// while reporting a result, so current_test_info() would deadlock here.)
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
public:
  explicit RankFailurePrinter(int64_t rank) : rank_(rank) {}
  void OnTestStart(const ::testing::TestInfo &info) override {
    test_ = std::string(info.test_suite_name()) + "." + info.name();
  }
  void OnTestPartResult(const ::testing::TestPartResult &r) override {
    if (!r.failed())
      return;
    std::fprintf(stderr, "[rank %lld] %s: %s:%d: Failure\n%s\n",
                 static_cast<long long>(rank_), test_.c_str(),
                 r.file_name() ? r.file_name() : "?", r.line_number(),
                 r.message());
    std::fflush(stderr);
  }

private:
  int64_t rank_;
  std::string test_ = "?";
};

/// After InitGoogleTest: rank 0 prints the full report, the others only
/// their failures.
inline void reportFullyOnRankZeroOnly() {
  if (myRank() == 0)
    return;
  ::testing::TestEventListeners &listeners =
      ::testing::UnitTest::GetInstance()->listeners();
  delete listeners.Release(listeners.default_result_printer());
  listeners.Append(new RankFailurePrinter(myRank()));
}

/// Expects `status` and a last error containing `needle`.
#define EXPECT_STATUS(expr, status, needle)                                    \
  do {                                                                         \
    mfrt_clear_last_error();                                                   \
    mfrt_status s_ = (expr);                                                   \
    EXPECT_EQ(s_, status) << #expr << ": " << mfrt_last_error();               \
    EXPECT_NE(std::string(mfrt_last_error()).find(needle), std::string::npos)  \
        << #expr << ": message was \"" << mfrt_last_error() << "\"";           \
  } while (0)

#define EXPECT_OK(expr)                                                        \
  EXPECT_EQ((expr), MFRT_OK) << #expr << ": " << mfrt_last_error()

} // namespace comm_test

#endif // MOEFOLD_UNITTESTS_RUNTIMECOMM_MPITESTSUPPORT_H
