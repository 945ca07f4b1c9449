//===- Plan.h - host-side plans of the NCCL backend's transfers -*- C++ -*-===//
//
// Everything the NCCL backend decides on the host, kept free of CUDA and NCCL
// so that it is unit-tested on machines without a GPU: the ncclCommSplit
// arguments of a group, the strided copies that move a gather / scatter
// along an inner dimension, the transfers of a ragged all_to_all and the
// polling loop that bounds every wait.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_COMM_NCCL_PLAN_H
#define MOEFOLD_RUNTIME_COMM_NCCL_PLAN_H

#include "moefold_runtime/mfrt.h"

#include "Support.h"

#include <cstdint>
#include <vector>

namespace mfrt::nccl {

//===-- group split --------------------------------------------------------===//

/// NCCL_SPLIT_NOCOLOR (nccl.h; Nccl.cpp checks that the values agree).
constexpr int kNoColor = -1;

/// One rank's arguments to ncclCommSplit of the world communicator.
struct SplitArgs {
  int color;
  int key;
};

/// The split that gives `rank` the communicator of the group `members` (its
/// own row of a compiler table): colour = the smallest member, so every
/// row of the table gets its own communicator in one split; key = the
/// rank's position, so the communicator's rank is that position. A rank
/// outside the list takes no part (kNoColor). Every rank computes this
/// from its own row only, the same way MPI_Comm_split is called.
SplitArgs splitArgs(const int64_t *members, int64_t n, int64_t rank);

//===-- gathers and scatters along an inner dimension ---------------------===//

/// A gather or scatter along `dim` of a member's piece `t` (all_gather's in,
/// reduce_scatter's out): `outer` = product of the extents before dim,
/// `blockBytes` = bytes of the piece from dim on, per outer index.
struct DimSplit {
  int64_t outer = 1;
  int64_t blockBytes = 0;
};
DimSplit dimSplit(const mfrt_tensor *piece, int32_t dim);

/// True when member blocks are contiguous in the whole tensor, so NCCL reads
/// or writes the caller's buffer directly (no scratch, no copies).
inline bool contiguousBlocks(const DimSplit &s, int64_t members) {
  return s.outer == 1 || members == 1 || s.blockBytes == 0;
}

/// One cudaMemcpy2D: `height` rows of `width` bytes, offsets and pitches in
/// bytes.
struct Copy2D {
  int64_t dstOffset, dstPitch;
  int64_t srcOffset, srcPitch;
  int64_t width, height;
};

/// all_gather: NCCL delivers [member][outer][block] into scratch; member m's
/// blocks go to out[outer][m][block].
Copy2D unpackGathered(const DimSplit &s, int64_t members, int64_t m);
/// reduce_scatter: member m's blocks of in[outer][member][block] go to
/// scratch[m][outer][block], the layout NCCL scatters.
Copy2D packForScatter(const DimSplit &s, int64_t members, int64_t m);

//===-- ragged all_to_all -------------------------------------------------===//

/// Checks the host copy of a [n] count tensor like the MPI backend: every
/// entry >= 0 and the sum within `limit` rows (limit < 0: no limit).
/// Records "fn: name: ..." and returns false on failure; *sum = the rows.
bool checkCounts(ArgChecker &check, const int64_t *counts, int64_t n,
                 const char *name, int64_t limit, const char *limitName,
                 int64_t *sum);

/// The rows a member sends itself must be the rows it receives from itself
/// (a local copy here; the MPI backend reports the same mistake as a
/// truncated message). Records the error and returns false otherwise.
bool checkSelfRows(ArgChecker &check, const int64_t *sendCounts,
                   const int64_t *recvCounts, int64_t me);

/// A run of rows to or from one peer, in bytes from the buffer's start.
struct Transfer {
  int64_t peer;
  int64_t offset;
  int64_t bytes;
};

/// The transfers of one rank's all_to_all: rows for peer j start after the
/// rows of peers 0..j-1 in both buffers. Empty runs are left out; the rows a
/// rank keeps are one local copy. The byte counters are the MPI backend's.
struct RaggedPlan {
  std::vector<Transfer> sends, recvs; // other members only
  int64_t localSrc = 0, localDst = 0, localBytes = 0;
  int64_t bytesSent = 0, bytesReceived = 0; // bytesLocal = localBytes
};
RaggedPlan raggedPlan(const int64_t *sendCounts, const int64_t *recvCounts,
                      int64_t n, int64_t me, int64_t rowBytes);

//===-- bounded waits -----------------------------------------------------===//

enum class Poll { Pending, Done, Failed };
enum class Waited { Done, Failed, TimedOut };

/// Calls probe() until it is no longer Pending or `timeoutS` seconds (by
/// now(), in seconds) have passed since the first call; timeoutS <= 0 waits
/// without a bound. pause() runs between probes.
template <typename Probe, typename Now, typename Pause>
Waited pollUntil(Probe probe, Now now, Pause pause, double timeoutS) {
  double start = now();
  for (;;) {
    Poll p = probe();
    if (p == Poll::Done)
      return Waited::Done;
    if (p == Poll::Failed)
      return Waited::Failed;
    if (timeoutS > 0 && now() - start > timeoutS)
      return Waited::TimedOut;
    pause();
  }
}

} // namespace mfrt::nccl

#endif // MOEFOLD_RUNTIME_COMM_NCCL_PLAN_H
