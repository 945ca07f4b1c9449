//===- DistMPI.cpp - Dist.h over the MPI comm backend ---------------------===//
//
// Linked into executables compiled for --mesh world=N, N > 1. Every call
// goes through mfrt_comm (runtime/comm, docs/comm.md); groups come from the
// tables the compiled program registered, never from runtime arithmetic.
//
//===----------------------------------------------------------------------===//

#include "Dist.h"

#include "moefold_runtime/mfrt_comm.h"
#include "moefold_runtime/mfrt_registry.h"

#include <cstdio>
#include <cstdlib>

namespace moefold::driver::dist {

bool init(int *argc, char ***argv, int64_t world, const char *meshText,
          std::string &error) {
  // A world mismatch prints the same line on every rank and exits here.
  if (mfrt_comm_init(argc, argv, world, meshText) != MFRT_OK) {
    error = mfrt_last_error();
    return false;
  }
  return true;
}

int64_t rank() { return mfrt_comm_initialized() ? mfrt_comm_rank() : 0; }
int64_t worldSize() { return mfrt_comm_initialized() ? mfrt_comm_world() : 1; }

bool createGroups(std::string &error) {
  for (int64_t id = 0; id < mfrt_registry_group_table_count(); ++id) {
    const mfrt_group_table *t = mfrt_registry_group_table(id);
    const int64_t *members = mfrt_group_table_find(t, rank());
    if (!members) {
      error = std::string("group table '") + t->name +
              "' has no group with rank " + std::to_string(rank());
      return false;
    }
    mfrt_comm_group *g = nullptr;
    if (mfrt_comm_create_group(t->name, members, t->group_size, &g) !=
        MFRT_OK) {
      error = mfrt_last_error();
      return false;
    }
  }
  return true;
}

std::vector<CommCounter> commCounters() {
  std::vector<CommCounter> counters;
  for (int64_t i = 0; i < mfrt_comm_group_count(); ++i) {
    const mfrt_comm_group *g = mfrt_comm_group_at(i);
    for (int k = 0; k < MFRT_COMM_NUM_OPS; ++k) {
      mfrt_comm_stats s{};
      if (mfrt_comm_stats_get(g, k, &s) != MFRT_OK)
        continue;
      counters.push_back(CommCounter{mfrt_comm_group_name(g),
                                     mfrt_comm_op_name(k), s.calls,
                                     s.bytes_sent, s.bytes_received,
                                     s.bytes_local});
    }
  }
  return counters;
}

bool anyFailed(bool failed, int64_t *firstFailed) {
  // The maximum over ranks of (world - rank) for failing ranks names the
  // smallest failing rank.
  int64_t world = worldSize(), v = failed ? world - rank() : 0;
  mfrt_tensor t{};
  t.data = &v;
  t.dtype = MFRT_I64;
  t.rank = 0;
  if (mfrt_comm_all_reduce(mfrt_comm_world_group(), nullptr, &t,
                           MFRT_REDUCE_MAX) != MFRT_OK)
    abortJob(1, std::string("moefold: ") + mfrt_last_error());
  if (firstFailed)
    *firstFailed = v ? world - v : -1;
  return v != 0;
}

bool allGather(const mfrt_tensor &local, void *all, std::string &error) {
  mfrt_tensor in{}, out{};
  in.data = local.data;
  in.dtype = out.dtype = local.dtype;
  in.rank = out.rank = 1;
  in.shape[0] = mfrt_tensor_numel(&local);
  out.data = all;
  out.shape[0] = in.shape[0] * worldSize();
  if (mfrt_comm_all_gather(mfrt_comm_world_group(), &in, &out, 0) != MFRT_OK) {
    error = mfrt_last_error();
    return false;
  }
  return true;
}

void finalize() {
  if (mfrt_comm_initialized())
    mfrt_comm_finalize();
}

void abortJob(int code, const std::string &message) {
  if (mfrt_comm_initialized())
    mfrt_comm_abort(code, message.c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "%s\n", message.c_str());
  std::exit(code);
}

} // namespace moefold::driver::dist
