//===- Collectives.h - helpers shared by the collective entry points -*- C++
//-*-//
//
// Internal to runtime/comm: dtype and reduce-op mapping to MPI, count limits,
// overlap checks and the optional cross-rank argument check
// (MOEFOLD_COMM_CHECK).
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_COMM_COLLECTIVES_H
#define MOEFOLD_RUNTIME_COMM_COLLECTIVES_H

#include "CommInternal.h"

namespace mfrt::comm {

/// The MPI type of a dtype; bf16 travels as uint16 (movement only).
MPI_Datatype mpiType(mfrt_dtype dtype);

/// Checks a reduce op and that it applies to `dtype` (avg: floats only).
/// bf16 reductions are reported as MFRT_ERROR_UNSUPPORTED via *unsupported.
bool checkReduce(ArgChecker &check, mfrt_reduce_op op, mfrt_dtype dtype,
                 bool *unsupported);

/// True when the byte ranges of a and b overlap (both non-empty).
bool overlaps(const mfrt_tensor *a, const mfrt_tensor *b);

/// Bytes of a validated tensor.
inline int64_t bytesOf(const mfrt_tensor *t) {
  return numel(t) * static_cast<int64_t>(mfrt_dtype_size(t->dtype));
}

/// Converts an element count to MPI's int, or records
/// MFRT_ERROR_UNSUPPORTED.
bool toIntCount(int64_t count, const char *fn, const char *what, int *out);

/// A data pointer MPI can take even for an empty tensor.
void *dataOrDummy(const mfrt_tensor *t);

/// Mixes call arguments into a signature that all ranks of a group must
/// share (the per-rank parts, like ragged row counts, are left out).
struct Signature {
  uint64_t h = 1469598103934665603ull;
  Signature &add(int64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= static_cast<uint64_t>(v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
    return *this;
  }
  Signature &addShape(const mfrt_tensor *t, int32_t skipDim = -1) {
    add(t->dtype).add(t->rank);
    for (int32_t i = 0; i < t->rank; ++i)
      add(i == skipDim ? -1 : t->shape[i]);
    return *this;
  }
};

/// With consistency checks on (MOEFOLD_COMM_CHECK), verifies over the group
/// that every rank computed the same signature; on disagreement every rank
/// of the group returns MFRT_ERROR_INVALID_ARGUMENT with `what` (this rank's
/// view of the call) in the message. A no-op when checks are off.
mfrt_status checkConsistent(mfrt_comm_group *g, const char *fn,
                            const Signature &sig, const char *what);

} // namespace mfrt::comm

#endif // MOEFOLD_RUNTIME_COMM_COLLECTIVES_H
