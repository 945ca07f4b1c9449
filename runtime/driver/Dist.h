//===- Dist.h - the driver's view of the other ranks -------------*- C++
//-*-===//
//
// Everything the driver needs from the communication backend, behind one
// small interface with two implementations: DistLocal.cpp (one rank, no MPI;
// library moefold_driver_local) and DistMPI.cpp (mfrt_comm over MPI;
// moefold_driver_mpi). moefold-compile links exactly one of them: the local
// one for --mesh world=1, the MPI one otherwise (docs/multi-rank.md).
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_DRIVER_DIST_H
#define MOEFOLD_RUNTIME_DRIVER_DIST_H

#include "moefold_runtime/mfrt.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moefold::driver::dist {

/// Starts the ranks of a program compiled for `world` ranks (`meshText`: the
/// --mesh it was compiled with, for messages). With MPI, a job started with
/// a different number of ranks prints the same error on every rank and
/// exits (status 2) here. Returns false with a reason otherwise.
bool init(int *argc, char ***argv, int64_t world, const char *meshText,
          std::string &error);

/// This process's rank and the number of ranks (0 and 1 before init).
int64_t rank();
int64_t worldSize();

/// Collective: one communicator per group table the program registered,
/// from this rank's row (mfrt_comm_create_group). Called once at start-up.
bool createGroups(std::string &error);

/// Collective over every rank: whether any rank passed `failed`; the
/// smallest failing rank in `firstFailed`. Single rank: `failed`.
bool anyFailed(bool failed, int64_t *firstFailed);

/// Collective: every rank's `local` (the same dtype and element count on
/// every rank) concatenated in rank order into `all` (world x its bytes).
bool allGather(const mfrt_tensor &local, void *all, std::string &error);

/// One communication counter of this rank: the totals of one (group, kind)
/// since start-up (docs/comm.md, "Byte accounting").
struct CommCounter {
  std::string group; ///< "dense.tp", "expert.ep", "world", ...
  std::string kind;  ///< "all_reduce", "all_to_all", ...
  int64_t calls = 0, bytesSent = 0, bytesReceived = 0, bytesLocal = 0;
};

/// Every (group, kind) counter of this rank, in the same order on every
/// rank; empty for one rank without MPI.
std::vector<CommCounter> commCounters();

/// Collective: shuts the backend down (MPI_Finalize).
void finalize();

/// Ends the whole job now with exit status `code` after printing `message`
/// (MPI_Abort with several ranks, exit otherwise).
[[noreturn]] void abortJob(int code, const std::string &message);

} // namespace moefold::driver::dist

#endif // MOEFOLD_RUNTIME_DRIVER_DIST_H
