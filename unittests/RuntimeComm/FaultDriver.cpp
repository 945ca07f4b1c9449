//===- FaultDriver.cpp - programs that fail on purpose, for ctest ---------===//
//
// Each mode is one scenario whose outcome is the exit status and output of
// the whole mpirun job, checked by RunMpiExpect.cmake:
//
//   mismatch   compiled for world 4 (mesh world=4,tp=4,ep=4); run on fewer
//              ranks, every rank must print the same error and exit non-zero
//   kill       rank 1 dies (_exit(9)) before an all_reduce the others enter
//   hang       rank 1 sleeps instead of joining; the others' watchdog
//              (MOEFOLD_COMM_TIMEOUT_S) must abort the job
//   lifecycle  queries and calls before init and after finalize
//   badenv     a malformed MOEFOLD_COMM_TIMEOUT_S is an init error
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_comm.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <unistd.h>

namespace {

int fail(const char *what) {
  std::fprintf(stderr, "FaultDriver: unexpected: %s (last error: %s)\n", what,
               mfrt_last_error());
  return 1;
}

int initOrFail(int *argc, char ***argv) {
  if (mfrt_comm_init(argc, argv, 0, nullptr) != MFRT_OK)
    return fail("mfrt_comm_init failed");
  return 0;
}

/// A rank never reaches the all_reduce; the job must still end.
int peerDies(int argc, char **argv, bool hang) {
  if (initOrFail(&argc, &argv))
    return 1;
  // Build an axis group first so the stall is on a compiler group.
  int64_t me = mfrt_comm_rank(), w = mfrt_comm_world();
  int64_t first = me - me % 2;
  int64_t pair[2] = {first, first + 1};
  mfrt_comm_group *tp = nullptr;
  if (w % 2 != 0 || mfrt_comm_create_group("dense.tp", pair, 2, &tp) != MFRT_OK)
    return fail("create_group");
  if (mfrt_comm_barrier(mfrt_comm_world_group()) != MFRT_OK)
    return fail("barrier");
  if (me == 1) {
    if (hang) {
      std::fprintf(stderr, "FaultDriver: rank 1 stops answering\n");
      sleep(120);
      return 0;
    }
    std::fprintf(stderr, "FaultDriver: rank 1 dies\n");
    std::fflush(stderr);
    _exit(9);
  }
  double x = 1.0;
  mfrt_tensor t{&x, MFRT_F64, 0, {}};
  mfrt_status s = mfrt_comm_all_reduce(tp, nullptr, &t, MFRT_REDUCE_SUM);
  // A rank whose partner is alive gets here; the others must not.
  if (me / 2 == 0) {
    std::fprintf(stderr, "FaultDriver: rank %lld returned %s: %s\n",
                 static_cast<long long>(me), mfrt_status_string(s),
                 mfrt_last_error());
    mfrt_comm_abort(1, "all_reduce with a dead peer returned");
  }
  sleep(120); // wait to be terminated with the job
  return 0;
}

int lifecycle(int argc, char **argv) {
  if (mfrt_comm_initialized() != 0 || mfrt_comm_rank() != -1 ||
      mfrt_comm_world() != -1 || mfrt_comm_world_group() != nullptr)
    return fail("queries before init");
  if (mfrt_comm_barrier(nullptr) != MFRT_ERROR_INVALID_ARGUMENT ||
      !std::strstr(mfrt_last_error(), "not initialised"))
    return fail("barrier before init");
  int64_t zero = 0;
  mfrt_comm_group *g = nullptr;
  if (mfrt_comm_create_group("x", &zero, 1, &g) != MFRT_ERROR_INVALID_ARGUMENT)
    return fail("create_group before init");
  if (mfrt_comm_finalize() != MFRT_ERROR_INVALID_ARGUMENT)
    return fail("finalize before init");
  if (mfrt_comm_init(&argc, &argv, 2, "world=2,tp=2,ep=2") != MFRT_OK)
    return fail("init with the right world");
  mfrt_comm_group *world = mfrt_comm_world_group();
  if (!world || mfrt_comm_world() != 2 || mfrt_comm_group_count() != 1)
    return fail("world group");
  int64_t v = mfrt_comm_rank() + 1;
  mfrt_tensor t{&v, MFRT_I64, 0, {}};
  if (mfrt_comm_all_reduce(world, nullptr, &t, MFRT_REDUCE_SUM) != MFRT_OK ||
      v != 3)
    return fail("all_reduce");
  if (mfrt_comm_finalize() != MFRT_OK)
    return fail("finalize");
  if (mfrt_comm_initialized() != 0 || mfrt_comm_rank() != -1 ||
      mfrt_comm_group_count() != 0)
    return fail("queries after finalize");
  if (mfrt_comm_all_reduce(world, nullptr, &t, MFRT_REDUCE_SUM) !=
          MFRT_ERROR_INVALID_ARGUMENT ||
      !std::strstr(mfrt_last_error(), "not initialised"))
    return fail("a stale handle after finalize");
  if (mfrt_comm_init(&argc, &argv, 0, nullptr) != MFRT_ERROR_COMM ||
      !std::strstr(mfrt_last_error(), "already finalised"))
    return fail("init after MPI_Finalize");
  std::printf("FaultDriver: lifecycle ok\n");
  return 0;
}

int badEnv(int argc, char **argv) {
  if (mfrt_comm_init(&argc, &argv, 0, nullptr) != MFRT_ERROR_INVALID_ARGUMENT)
    return fail("init accepted a malformed MOEFOLD_COMM_TIMEOUT_S");
  if (mfrt_comm_initialized() != 0)
    return fail("initialised after a failed init");
  std::printf("FaultDriver: %s\n", mfrt_last_error());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!std::strcmp(mode, "mismatch")) {
    mfrt_comm_init(&argc, &argv, 4, "world=4,tp=4,ep=4");
    return fail("init returned despite the world-size mismatch");
  }
  if (!std::strcmp(mode, "kill"))
    return peerDies(argc, argv, /*hang=*/false);
  if (!std::strcmp(mode, "hang"))
    return peerDies(argc, argv, /*hang=*/true);
  if (!std::strcmp(mode, "lifecycle"))
    return lifecycle(argc, argv);
  if (!std::strcmp(mode, "badenv"))
    return badEnv(argc, argv);
  std::fprintf(stderr, "usage: %s mismatch|kill|hang|lifecycle|badenv\n",
               argv[0]);
  return 2;
}
