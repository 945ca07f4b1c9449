//===- Lifetime.cpp - NCCL backend: init, finalize, groups ----------------===//
//
// mfrt_comm_init starts the MPI control plane (runtime/comm: world-size
// check, "world" group, watchdog), picks this rank's GPU (its rank among the
// ranks of its node), and creates the NCCL world communicator from a unique
// id broadcast over MPI. mfrt_comm_create_group validates the group over MPI
// exactly as the MPI backend does, then splits the NCCL world communicator:
// every rank takes part in every split, in the order the program creates its
// groups, which MPI has just checked to be the same on all ranks.
// Communicators are non-blocking (ncclConfig_t.blocking = 0), so that every
// wait is bounded (Nccl.cpp, complete()).
//
//===----------------------------------------------------------------------===//

#include "MpiBackend.h"
#include "Nccl.h"
#include "Plan.h"

#include "moefold_runtime/mfrt_device.h"

#include <cstdio>
#include <cstring>

using namespace mfrt;
using namespace mfrt::comm;
using namespace mfrt::nccl;

namespace {

ncclConfig_t nonBlocking() {
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  return config;
}

/// Agrees over the world whether any rank failed a start-up step: the first
/// failing rank's message becomes every rank's, so all return the same
/// status. (Groups.cpp does the same for group creation.)
mfrt_status agreeOnWorld(const char *fn, bool failedHere, mfrt_status mine) {
  const State &st = state();
  const mfrt_comm_group *world = st.groups.front();
  mfrt_status s = MFRT_OK;
  int64_t failing =
      firstFailingRank(world->comm, failedHere, st.rank, &s, fn, world);
  if (s != MFRT_OK)
    return s;
  if (failing < 0)
    return MFRT_OK;
  // The status travels with the message.
  char msg[1024];
  std::memset(msg, 0, sizeof(msg));
  int32_t status = failedHere ? mine : MFRT_ERROR_COMM;
  std::memcpy(msg, &status, sizeof(status));
  std::snprintf(msg + 4, sizeof(msg) - 4, "%s", mfrt_last_error());
  {
    WatchdogScope watch("mfrt_comm_init (error broadcast)", world);
    s = mpiCheck(MPI_Bcast(msg, sizeof(msg), MPI_CHAR,
                           static_cast<int>(failing), world->comm),
                 fn, world, "MPI_Bcast (error message)");
  }
  if (s != MFRT_OK)
    return s;
  msg[sizeof(msg) - 1] = '\0';
  std::memcpy(&status, msg, sizeof(status));
  return setError(static_cast<mfrt_status>(status), "%s", msg + 4);
}

/// This rank's index among the ranks of its node, and their number.
mfrt_status nodeRank(const char *fn, int *local, int *localSize) {
  const State &st = state();
  const mfrt_comm_group *world = st.groups.front();
  MPI_Comm node = MPI_COMM_NULL;
  mfrt_status s;
  {
    WatchdogScope watch("mfrt_comm_init (node split)", world);
    s = mpiCheck(MPI_Comm_split_type(world->comm, MPI_COMM_TYPE_SHARED,
                                     static_cast<int>(st.rank), MPI_INFO_NULL,
                                     &node),
                 fn, world, "MPI_Comm_split_type");
  }
  if (s != MFRT_OK)
    return s;
  MPI_Comm_rank(node, local);
  MPI_Comm_size(node, localSize);
  MPI_Comm_free(&node);
  return MFRT_OK;
}

/// The device of this rank: one per rank of the node (NCCL refuses two
/// ranks of one communicator on one GPU).
mfrt_status pickDevice(const char *fn, int local, int localSize) {
  mfrt_status s = mfrt_device_init(local);
  if (s != MFRT_OK)
    return prefixError(s, "%s: rank %lld: ", fn,
                       static_cast<long long>(state().rank));
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess)
    devices = 0;
  if (localSize > devices)
    return setError(MFRT_ERROR_UNSUPPORTED,
                    "%s: %d ranks on this node but %d CUDA device(s): the "
                    "NCCL backend needs one CUDA device per rank",
                    fn, localSize, devices);
  return MFRT_OK;
}

/// The NCCL world communicator: rank 0's unique id, broadcast over MPI.
mfrt_status initWorld(const char *fn) {
  const State &st = state();
  mfrt_comm_group *world = st.groups.front();
  ncclUniqueId id;
  std::memset(&id, 0, sizeof(id));
  ncclResult_t rc = st.rank == 0 ? ncclGetUniqueId(&id) : ncclSuccess;
  mfrt_status mine = MFRT_OK;
  if (rc != ncclSuccess)
    mine = setError(MFRT_ERROR_COMM, "%s: ncclGetUniqueId failed: %s", fn,
                    ncclGetErrorString(rc));
  mfrt_status s = agreeOnWorld(fn, mine != MFRT_OK, mine);
  if (s != MFRT_OK)
    return s;
  {
    WatchdogScope watch("mfrt_comm_init (NCCL id broadcast)", world);
    s = mpiCheck(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, world->comm), fn,
                 world, "MPI_Bcast (NCCL unique id)");
  }
  if (s != MFRT_OK)
    return s;
  ncclConfig_t config = nonBlocking();
  ncclComm_t comm = nullptr;
  rc = ncclCommInitRankConfig(&comm, static_cast<int>(st.world), id,
                              static_cast<int>(st.rank), &config);
  if (!comm)
    return setError(MFRT_ERROR_COMM, "%s: ncclCommInitRankConfig failed: %s",
                    fn, ncclGetErrorString(rc));
  complete(comm, rc, fn, world, "ncclCommInitRankConfig");
  attach(world, comm);
  return MFRT_OK;
}

} // namespace

extern "C" mfrt_status mfrt_comm_init(int *argc, char ***argv,
                                      int64_t expected_world,
                                      const char *mesh_text) {
  const char *fn = "mfrt_comm_init";
  mfrt_status s = mfrt_mpi_comm_init(argc, argv, expected_world, mesh_text);
  if (s != MFRT_OK)
    return s;
  int local = 0, localSize = 1;
  s = nodeRank(fn, &local, &localSize);
  mfrt_status mine = s == MFRT_OK ? pickDevice(fn, local, localSize) : s;
  s = agreeOnWorld(fn, mine != MFRT_OK, mine);
  if (s == MFRT_OK)
    s = initWorld(fn);
  if (s != MFRT_OK) {
    // Every rank is here (the failure was agreed on): shut MPI down again
    // so the caller can report and exit normally.
    char msg[1024];
    std::snprintf(msg, sizeof(msg), "%s", mfrt_last_error());
    mfrt_mpi_comm_finalize();
    return setError(s, "%s", msg);
  }
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_comm_finalize(void) {
  const char *fn = "mfrt_comm_finalize";
  if (!state().initialized)
    return mfrt_mpi_comm_finalize(); // its "not initialised" error
  mfrt_status s = destroyAll(fn);
  char msg[1024];
  std::snprintf(msg, sizeof(msg), "%s", mfrt_last_error());
  mfrt_status m = mfrt_mpi_comm_finalize();
  if (s != MFRT_OK)
    return setError(s, "%s", msg);
  return m;
}

extern "C" mfrt_status mfrt_comm_create_group(const char *name,
                                              const int64_t *members, int64_t n,
                                              mfrt_comm_group **out) {
  const char *fn = "mfrt_comm_create_group";
  mfrt_status s = mfrt_mpi_comm_create_group(name, members, n, out);
  if (s != MFRT_OK)
    return s;
  // The MPI side has checked on every rank that the names agree and the
  // lists partition the world, so every rank is here, splitting the same
  // table: colour = the smallest member of its row, key = its position.
  mfrt_comm_group *g = *out;
  SplitArgs split = splitArgs(members, n, state().rank);
  ncclConfig_t config = nonBlocking();
  ncclComm_t world = commOf(state().groups.front());
  ncclComm_t comm = nullptr;
  ncclResult_t rc =
      ncclCommSplit(world, split.color, split.key, &comm, &config);
  complete(world, rc, fn, g, "ncclCommSplit");
  if (!comm)
    mfrt_comm_abort(1, "mfrt_comm_create_group: ncclCommSplit returned no "
                       "communicator for a member");
  complete(comm, ncclSuccess, fn, g, "ncclCommSplit (new communicator)");
  int count = 0, rank = -1;
  ncclCommCount(comm, &count);
  ncclCommUserRank(comm, &rank);
  if (count != g->size || rank != g->rank) {
    char msg[512];
    std::snprintf(msg, sizeof(msg),
                  "%s: group '%s': the NCCL communicator has %d ranks with "
                  "this one at %d, the group %lld members with it at %lld",
                  fn, g->name.c_str(), count, rank,
                  static_cast<long long>(g->size),
                  static_cast<long long>(g->rank));
    mfrt_comm_abort(1, msg);
  }
  attach(g, comm);
  return MFRT_OK;
}
