//===- NcclTestMain.cpp - GoogleTest main of the NCCL tests under mpirun --===//
//
// Initialises the NCCL backend (MPI, one GPU per rank, the NCCL world
// communicator) and runs the tests on every rank; rank 0 prints the report,
// the others only their failures. Without a CUDA device for every rank
// mfrt_comm_init fails on all ranks with MFRT_ERROR_UNSUPPORTED: the job
// then prints "[  SKIPPED ]" with the reason and exits 0 (ctest: skipped).
//
//===----------------------------------------------------------------------===//

#include "NcclTestUtil.h"

#include <cstdio>

using namespace nccl_test;

namespace nccl_test {

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
    for (const comm_test::MeshTable &mesh : comm_test::meshTables()) {
      if (mesh.world != worldSize())
        continue;
      for (const comm_test::AxisTable &axis : mesh.axes) {
        TestGroup g;
        g.name = std::string(mesh.name) + "/" + axis.view + "." + axis.axis;
        g.members = comm_test::groupOf(axis, myRank());
        for (size_t i = 0; i < g.members.size(); ++i)
          if (g.members[i] == myRank())
            g.pos = static_cast<int64_t>(i);
        if (mfrt_comm_create_group(g.name.c_str(), g.members.data(),
                                   static_cast<int64_t>(g.members.size()),
                                   &g.handle) != MFRT_OK)
          mfrt_comm_abort(1, mfrt_last_error());
        out.push_back(g);
      }
    }
    return out;
  }();
  return groups;
}

bool onAllRanks(bool ok) {
  DeviceTensor<int32_t> flag({1});
  flag[0] = ok ? 0 : 1;
  flag.upload();
  if (mfrt_comm_all_reduce(mfrt_comm_world_group(), nullptr, flag.desc(),
                           MFRT_REDUCE_MAX) != MFRT_OK)
    mfrt_comm_abort(1, mfrt_last_error());
  flag.download();
  return flag[0] == 0;
}

} // namespace nccl_test

namespace {

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
  mfrt_status s = mfrt_comm_init(&argc, &argv, 0, nullptr);
  if (s == MFRT_ERROR_UNSUPPORTED) {
    std::printf("[  SKIPPED ] NCCL comm tests: %s\n", mfrt_last_error());
    return 0;
  }
  if (s != MFRT_OK) {
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
    std::printf("NCCL comm tests on %lld ranks (%s): %s\n",
                static_cast<long long>(worldSize()),
                mfrt_device_description(),
                allPassed ? "all ranks passed" : "SOME RANK FAILED");
  s = mfrt_comm_finalize();
  if (s != MFRT_OK) {
    std::fprintf(stderr, "mfrt_comm_finalize failed: %s\n", mfrt_last_error());
    return 1;
  }
  return allPassed ? 0 : 1;
}
