//===- CommTestMain.cpp - GoogleTest main under mpirun --------------------===//
//
// Initialises the comm backend, runs the tests on every rank, and prints
// rank 0's report in full while other ranks print only their failures
// (prefixed with the rank). The job fails if any rank failed.
//
//===----------------------------------------------------------------------===//

#include "CommTestUtil.h"

#include <cstdio>

using namespace comm_test;

namespace comm_test {

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

int main(int argc, char **argv) {
  if (mfrt_comm_init(&argc, &argv, 0, nullptr) != MFRT_OK) {
    std::fprintf(stderr, "mfrt_comm_init failed: %s\n", mfrt_last_error());
    return 1;
  }
  ::testing::InitGoogleTest(&argc, argv);
  reportFullyOnRankZeroOnly();
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
