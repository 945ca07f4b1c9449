//===- CommInternal.h - state shared by the MPI backend's files -*- C++ -*-===//
//
// Internal to runtime/comm: the backend's process-wide state (MPI ownership,
// the group registry, the watchdog), MPI error translation and the
// cross-rank agreement helpers that keep failures collective.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_COMM_COMMINTERNAL_H
#define MOEFOLD_RUNTIME_COMM_COMMINTERNAL_H

#include "moefold_runtime/mfrt_comm.h"

#include "Support.h"

#include <mpi.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

struct mfrt_comm_group {
  std::string name;
  MPI_Comm comm = MPI_COMM_NULL;
  int64_t size = 0;
  int64_t rank = 0;
  std::vector<int64_t> members;
  mfrt_comm_stats stats[MFRT_COMM_NUM_OPS] = {};
};

namespace mfrt::comm {

struct State {
  bool initialized = false;
  bool ownsMpi = false;
  bool threadMultiple = false;
  bool consistencyChecks = false;
  int64_t rank = -1;
  int64_t world = -1;
  // Read by the watchdog thread.
  std::atomic<double> timeoutS{MFRT_COMM_DEFAULT_TIMEOUT_S};
  std::vector<mfrt_comm_group *> groups; // "world" first
};

State &state();

/// Records "fn: group 'g': call failed: <MPI error string>" and returns
/// MFRT_ERROR_COMM; MFRT_OK when rc is MPI_SUCCESS.
mfrt_status mpiCheck(int rc, const char *fn, const mfrt_comm_group *g,
                     const char *call);

/// Checks that the backend is initialised and `g` is a live group.
bool checkGroup(ArgChecker &check, const mfrt_comm_group *g);

/// Reads an enum argument as a plain int (a C caller may pass any value).
template <typename E> int enumValue(E e) {
  int raw;
  static_assert(sizeof(raw) == sizeof(e), "enum is int-sized");
  std::memcpy(&raw, &e, sizeof(raw));
  return raw;
}

/// Collective agreement over `comm`: returns the smallest `localRank` of the
/// ranks that pass `failed`, or -1 when none did (or the exchange itself
/// failed, which is then the recorded error with *status set).
int64_t firstFailingRank(MPI_Comm comm, bool failed, int64_t localRank,
                         mfrt_status *status, const char *fn,
                         const mfrt_comm_group *g);

/// Adds one call and its bytes to g's counters of `op`.
void record(mfrt_comm_group *g, mfrt_comm_op op, int64_t sent,
            int64_t received, int64_t local = 0);

/// The byte model of docs/comm.md ("Byte accounting") for a group of n
/// members, per rank and call; shared by the MPI and NCCL backends so that
/// their reports agree. all_to_all counts the rows it actually moves.
namespace byteModel {
/// Ring reduce-scatter + all-gather of S bytes.
inline int64_t allReduce(int64_t n, int64_t s) { return 2 * (n - 1) * s / n; }
/// Every other member's shard of `in` bytes, once.
inline int64_t allGather(int64_t n, int64_t in) { return (n - 1) * in; }
/// Every other member's block of `out` bytes, once.
inline int64_t reduceScatter(int64_t n, int64_t out) { return (n - 1) * out; }
/// Sent by the root, received by every other member (0 alone).
inline int64_t broadcast(int64_t n, int64_t s) { return n > 1 ? s : 0; }
/// One int64 row count to and from every other member.
inline int64_t countExchange(int64_t n) { return 8 * (n - 1); }
} // namespace byteModel

//===-- watchdog ----------------------------------------------------------===//

/// Starts the watchdog thread (timeout taken from state() on every check).
void startWatchdog();
/// Stops and joins it.
void stopWatchdog();

/// Arms the watchdog for the duration of one blocking MPI call.
class WatchdogScope {
public:
  WatchdogScope(const char *what, const mfrt_comm_group *g);
  ~WatchdogScope();
  WatchdogScope(const WatchdogScope &) = delete;
  WatchdogScope &operator=(const WatchdogScope &) = delete;

private:
  bool outermost_ = true;
};

} // namespace mfrt::comm

#endif // MOEFOLD_RUNTIME_COMM_COMMINTERNAL_H
