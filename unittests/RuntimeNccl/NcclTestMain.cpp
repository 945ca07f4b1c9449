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
  comm_test::reportFullyOnRankZeroOnly();
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
