//===- Comm.cpp - MPI backend lifetime: init, finalize, abort -------------===//
//
// mfrt_comm_init owns the start-up contract of a compiled program: MPI with
// MPI_ERRORS_RETURN (errors become statuses, not crashes), a world-size check
// against the size the program was compiled for, the "world" group and the
// watchdog thread.
//
//===----------------------------------------------------------------------===//

#include "CommInternal.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <unistd.h>

using namespace mfrt;
using namespace mfrt::comm;

namespace mfrt::comm {

State &state() {
  static State s;
  return s;
}

mfrt_status mpiCheck(int rc, const char *fn, const mfrt_comm_group *g,
                     const char *call) {
  if (rc == MPI_SUCCESS)
    return MFRT_OK;
  char text[MPI_MAX_ERROR_STRING] = {0};
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
    std::snprintf(text, sizeof(text), "MPI error code %d", rc);
  return setError(MFRT_ERROR_COMM, "%s: group '%s': %s failed: %s", fn,
                  g ? g->name.c_str() : "?", call, text);
}

bool checkGroup(ArgChecker &check, const mfrt_comm_group *g) {
  if (!state().initialized)
    return check.fail("comm backend not initialised (call mfrt_comm_init "
                      "first)");
  if (!g)
    return check.fail("group: NULL handle");
  for (const mfrt_comm_group *live : state().groups)
    if (live == g)
      return true;
  return check.fail("group: not a live group (freed by mfrt_comm_finalize?)");
}

int64_t firstFailingRank(MPI_Comm comm, bool failed, int64_t localRank,
                         mfrt_status *status, const char *fn,
                         const mfrt_comm_group *g) {
  int64_t v = failed ? localRank : INT64_MAX;
  WatchdogScope watch("argument agreement", g);
  *status =
      mpiCheck(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT64_T, MPI_MIN, comm),
               fn, g, "MPI_Allreduce (argument agreement)");
  if (*status != MFRT_OK)
    return -1;
  return v == INT64_MAX ? -1 : v;
}

void record(mfrt_comm_group *g, mfrt_comm_op op, int64_t sent,
            int64_t received, int64_t local) {
  mfrt_comm_stats &s = g->stats[op];
  ++s.calls;
  s.bytes_sent += sent;
  s.bytes_received += received;
  s.bytes_local += local;
}

} // namespace mfrt::comm

namespace {

/// Parses MOEFOLD_COMM_TIMEOUT_S into *seconds; false (error recorded) on a
/// malformed value.
bool readTimeoutEnv(double *seconds) {
  const char *env = std::getenv("MOEFOLD_COMM_TIMEOUT_S");
  if (!env || !*env)
    return true;
  char *end = nullptr;
  errno = 0;
  double v = std::strtod(env, &end);
  if (errno != 0 || end == env || *end != '\0' || !std::isfinite(v) || v < 0) {
    setError(MFRT_ERROR_INVALID_ARGUMENT,
             "mfrt_comm_init: MOEFOLD_COMM_TIMEOUT_S='%s' is not a "
             "non-negative number of seconds (0 disables the watchdog)",
             env);
    return false;
  }
  *seconds = v;
  return true;
}

bool envFlag(const char *name) {
  const char *env = std::getenv(name);
  return env && *env && std::strcmp(env, "0") != 0;
}

[[noreturn]] void exitWorldMismatch(int64_t expected, int64_t actual,
                                    const char *meshText, const char *prog,
                                    bool ownsMpi) {
  char mesh[512] = "";
  if (meshText && *meshText)
    std::snprintf(mesh, sizeof(mesh), " (mesh %s)", meshText);
  std::fprintf(stderr,
               "moefold: this executable was compiled for world=%lld%s but "
               "mpirun started %lld rank%s; run: mpirun -np %lld %s ...\n",
               static_cast<long long>(expected), mesh,
               static_cast<long long>(actual), actual == 1 ? "" : "s",
               static_cast<long long>(expected), prog);
  std::fflush(stderr);
  // Every rank takes this path, so MPI_Finalize cannot wait for a rank that
  // is not coming.
  if (ownsMpi)
    MPI_Finalize();
  std::exit(MFRT_COMM_EXIT_WORLD_MISMATCH);
}

} // namespace

extern "C" mfrt_status mfrt_comm_init(int *argc, char ***argv,
                                      int64_t expected_world,
                                      const char *mesh_text) {
  const char *fn = "mfrt_comm_init";
  State &st = state();
  if (st.initialized)
    return setError(MFRT_ERROR_INVALID_ARGUMENT, "%s: already initialised", fn);
  double timeout = MFRT_COMM_DEFAULT_TIMEOUT_S;
  if (!readTimeoutEnv(&timeout))
    return MFRT_ERROR_INVALID_ARGUMENT;

  int already = 0, finalized = 0;
  MPI_Initialized(&already);
  MPI_Finalized(&finalized);
  if (finalized)
    return setError(MFRT_ERROR_COMM,
                    "%s: MPI was already finalised; it cannot be restarted",
                    fn);
  int provided = MPI_THREAD_SINGLE;
  if (!already) {
    // MPI_THREAD_MULTIPLE lets the watchdog thread call MPI_Abort while the
    // main thread is blocked in a collective.
    int rc = MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
    if (rc != MPI_SUCCESS)
      return setError(MFRT_ERROR_COMM, "%s: MPI_Init_thread failed (code %d)",
                      fn, rc);
  } else {
    MPI_Query_thread(&provided);
  }
  st.ownsMpi = !already;
  st.threadMultiple = provided >= MPI_THREAD_MULTIPLE;
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);

  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (expected_world > 0 && size != expected_world) {
    const char *prog = argv && *argv && (*argv)[0] ? (*argv)[0] : "PROGRAM";
    exitWorldMismatch(expected_world, size, mesh_text, prog, st.ownsMpi);
  }

  st.rank = rank;
  st.world = size;
  st.timeoutS.store(timeout);
  st.consistencyChecks = envFlag("MOEFOLD_COMM_CHECK");

  // The world group gets its own communicator so that the program's
  // collectives never match messages of anyone else using MPI_COMM_WORLD.
  auto *world = new mfrt_comm_group;
  world->name = "world";
  world->size = size;
  world->rank = rank;
  world->members.resize(static_cast<size_t>(size));
  for (int i = 0; i < size; ++i)
    world->members[static_cast<size_t>(i)] = i;
  startWatchdog();
  mfrt_status s;
  {
    WatchdogScope watch("mfrt_comm_init (MPI_Comm_dup)", world);
    s = mpiCheck(MPI_Comm_dup(MPI_COMM_WORLD, &world->comm), fn, world,
                 "MPI_Comm_dup");
  }
  if (s != MFRT_OK) {
    stopWatchdog();
    delete world;
    return s;
  }
  MPI_Comm_set_errhandler(world->comm, MPI_ERRORS_RETURN);
  st.groups.push_back(world);
  st.initialized = true;
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_comm_finalize(void) {
  State &st = state();
  if (!st.initialized)
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "mfrt_comm_finalize: comm backend not initialised");
  mfrt_status status = MFRT_OK;
  {
    WatchdogScope watch("mfrt_comm_finalize", st.groups.front());
    for (mfrt_comm_group *g : st.groups) {
      if (g->comm != MPI_COMM_NULL) {
        mfrt_status s = mpiCheck(MPI_Comm_free(&g->comm), "mfrt_comm_finalize",
                                 g, "MPI_Comm_free");
        if (status == MFRT_OK)
          status = s;
      }
    }
    if (st.ownsMpi) {
      int rc = MPI_Finalize();
      if (rc != MPI_SUCCESS && status == MFRT_OK)
        status =
            setError(MFRT_ERROR_COMM,
                     "mfrt_comm_finalize: MPI_Finalize failed (code %d)", rc);
    }
  }
  stopWatchdog();
  for (mfrt_comm_group *g : st.groups)
    delete g;
  st.groups.clear();
  st.initialized = false;
  st.rank = -1;
  st.world = -1;
  return status;
}

extern "C" int mfrt_comm_initialized(void) {
  return state().initialized ? 1 : 0;
}

extern "C" int64_t mfrt_comm_rank(void) {
  return state().initialized ? state().rank : -1;
}

extern "C" int64_t mfrt_comm_world(void) {
  return state().initialized ? state().world : -1;
}

extern "C" void mfrt_comm_abort(int code, const char *msg) {
  long long rank = state().rank;
  if (rank < 0) {
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    int r = 0;
    if (inited && !finalized &&
        MPI_Comm_rank(MPI_COMM_WORLD, &r) == MPI_SUCCESS)
      rank = r;
  }
  std::fprintf(stderr, "moefold: rank %lld: %s\n", rank, msg ? msg : "aborted");
  std::fflush(stderr);
  int inited = 0, finalized = 0;
  MPI_Initialized(&inited);
  MPI_Finalized(&finalized);
  if (inited && !finalized)
    MPI_Abort(MPI_COMM_WORLD, code);
  _exit(code);
}

extern "C" double mfrt_comm_timeout_s(void) { return state().timeoutS.load(); }

extern "C" mfrt_status mfrt_comm_set_timeout_s(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "mfrt_comm_set_timeout_s: expected a finite number of "
                    "seconds >= 0, got %g",
                    seconds);
  state().timeoutS.store(seconds);
  return MFRT_OK;
}

extern "C" void mfrt_comm_set_consistency_checks(int enabled) {
  state().consistencyChecks = enabled != 0;
}
