//===- CollectiveChecks.h - argument checks shared by the comm backends -*- C++
//-*-//
//
// Internal to runtime/comm and runtime/comm_nccl: the argument checks, the
// MOEFOLD_COMM_CHECK signatures and the recv-count agreement that the MPI
// backend (host tensors) and the NCCL backend (device tensors) share, so
// that both report the same errors. Each backend keeps its own tensor check
// (host or device memory), reduce-op check (NCCL reduces bf16) and count
// limits (MPI's int); these run after them. Compiled into both libraries.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_COMM_COLLECTIVECHECKS_H
#define MOEFOLD_RUNTIME_COMM_COLLECTIVECHECKS_H

#include "Collectives.h"

namespace mfrt::comm {

/// "sum", "avg", "max" ("?" for an unknown op).
const char *opName(mfrt_reduce_op op);

/// "f32 [4, 3]" followed by the printf-style `suffix` (e.g. " dim=1"), for
/// messages that compare a collective's arguments across ranks.
[[gnu::format(printf, 4, 5)]] void
describe(const mfrt_tensor *t, char *buf, size_t size, const char *suffix, ...);

/// `dim` splits t (rank >= 1, dim in range); false after a failure.
bool checkDim(ArgChecker &check, const mfrt_tensor *t, const char *name,
              int64_t dim);

//===-- per collective, after the tensor and reduce-op checks -------------===//
// Each returns false after recording the first failure.

/// all_reduce's optional `in`: out's dtype and shape, and either out's
/// buffer (in place) or disjoint from it. True for a null `in`.
bool checkAllReduceInput(ArgChecker &check, const mfrt_tensor *in,
                         const mfrt_tensor *out);
/// all_gather over n members: dim, out = in with dim * n, no overlap.
bool checkAllGatherArgs(ArgChecker &check, const mfrt_tensor *in,
                        const mfrt_tensor *out, int64_t dim, int64_t n);
/// reduce_scatter over n members: dim divisible by n, out = in with dim / n,
/// no overlap.
bool checkReduceScatterArgs(ArgChecker &check, const mfrt_tensor *in,
                            const mfrt_tensor *out, int64_t dim, int64_t n);
/// broadcast's root is a position of a group of n members.
bool checkRoot(ArgChecker &check, int64_t root, int64_t n);
/// An all_to_all count tensor (already checked as a tensor): i32/i64 [n].
bool checkCountShape(ArgChecker &check, const mfrt_tensor *t, const char *name,
                     int64_t n);
/// all_to_all's rows: send and recv of rank >= 1, same dtype, recv's shape
/// send's but for the leading extent; *rowShape = send's with d[0] = -1.
bool checkRows(ArgChecker &check, const mfrt_tensor *send,
               const mfrt_tensor *recv, Dims *rowShape);

//===-- MOEFOLD_COMM_CHECK (checkConsistent) of each collective -----------===//

mfrt_status consistentAllReduce(mfrt_comm_group *g, const char *fn,
                                const mfrt_tensor *out, mfrt_reduce_op op);
mfrt_status consistentAllGather(mfrt_comm_group *g, const char *fn,
                                const mfrt_tensor *in, int64_t dim);
mfrt_status consistentReduceScatter(mfrt_comm_group *g, const char *fn,
                                    const mfrt_tensor *in, int64_t dim,
                                    mfrt_reduce_op op);
mfrt_status consistentBroadcast(mfrt_comm_group *g, const char *fn,
                                const mfrt_tensor *t, int64_t root);
mfrt_status consistentAllToAll(mfrt_comm_group *g, const char *fn,
                               const mfrt_tensor *send, const Dims &rowShape);

/// MOEFOLD_COMM_CHECK of all_to_all's receive counts, collective over g:
/// `got` are this rank's recv counts, `want` the rows its peers send (both
/// g->size entries). Every member fails when one disagrees: that member
/// reports both lists, the others name it.
mfrt_status agreeOnRecvCounts(mfrt_comm_group *g, const char *fn,
                              const int64_t *got, const int64_t *want);

} // namespace mfrt::comm

#endif // MOEFOLD_RUNTIME_COMM_COLLECTIVECHECKS_H
