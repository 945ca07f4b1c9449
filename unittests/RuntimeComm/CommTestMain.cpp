//===- CommTestMain.cpp - GoogleTest main under mpirun --------------------===//
//
// Initialises the comm backend, runs the tests on every rank, and prints
// rank 0's report in full while other ranks print only their failures
// (prefixed with the rank). The job fails if any rank failed.
//
//===----------------------------------------------------------------------===//

#include "CommTestUtil.h"

#include <cstdio>
#include <cstring>

using namespace comm_test;

namespace comm_test {

const std::vector<TestGroup> &testGroups() {
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

bool onAllRanks(bool ok) {
  int64_t v = ok ? 1 : 0;
  mfrt_tensor t{&v, MFRT_I64, 0, {}};
  // min over the world via max of the negation.
  v = -v;
  if (mfrt_comm_all_reduce(mfrt_comm_world_group(), nullptr, &t,
                           MFRT_REDUCE_MAX) != MFRT_OK)
    mfrt_comm_abort(1, mfrt_last_error());
  return -v == 1;
}

bool sameOnAllRanks(const std::string &s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  int64_t v[2] = {static_cast<int64_t>(h >> 2), -static_cast<int64_t>(h >> 2)};
  mfrt_tensor t{v, MFRT_I64, 1, {2}};
  if (mfrt_comm_all_reduce(mfrt_comm_world_group(), nullptr, &t,
                           MFRT_REDUCE_MAX) != MFRT_OK)
    mfrt_comm_abort(1, mfrt_last_error());
  return v[0] == -v[1];
}

} // namespace comm_test

namespace {

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

} // namespace

int main(int argc, char **argv) {
  if (mfrt_comm_init(&argc, &argv, 0, nullptr) != MFRT_OK) {
    std::fprintf(stderr, "mfrt_comm_init failed: %s\n", mfrt_last_error());
    return 1;
  }
  ::testing::InitGoogleTest(&argc, argv);
  if (myRank() != 0) {
    ::testing::TestEventListeners &listeners =
        ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(myRank()));
  }
  int rc = RUN_ALL_TESTS();
  bool allPassed = onAllRanks(rc == 0);
  if (myRank() == 0)
    std::printf("comm tests on %lld ranks: %s\n",
                static_cast<long long>(worldSize()),
                allPassed ? "all ranks passed" : "SOME RANK FAILED");
  mfrt_status s = mfrt_comm_finalize();
  if (s != MFRT_OK) {
    std::fprintf(stderr, "mfrt_comm_finalize failed: %s\n", mfrt_last_error());
    return 1;
  }
  return allPassed ? 0 : 1;
}
