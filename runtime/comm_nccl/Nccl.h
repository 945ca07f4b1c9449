//===- Nccl.h - state and waits of the NCCL backend -------------*- C++ -*-===//
//
// Internal to runtime/comm_nccl: the NCCL communicator of every group (one
// per mfrt_comm_group, split from the world's), dtype and op mapping, the
// device-memory check of tensor arguments, and complete(): the bounded wait
// that follows every NCCL call.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_COMM_NCCL_NCCL_H
#define MOEFOLD_RUNTIME_COMM_NCCL_NCCL_H

#include "CommInternal.h"

#include <cuda_runtime.h>
#include <nccl.h>

namespace mfrt::nccl {

/// The NCCL communicator of a live group (nullptr if it has none).
ncclComm_t commOf(const mfrt_comm_group *g);
/// Attaches `comm` to `g` (Lifetime.cpp, at group creation).
void attach(const mfrt_comm_group *g, ncclComm_t comm);
/// Finalises and destroys every communicator, groups before the world's;
/// MFRT_OK or the first failure (recorded).
mfrt_status destroyAll(const char *fn);

/// The stream every NCCL call and copy is queued on: the cuda backend's
/// compute stream, so communication is ordered with the kernels.
cudaStream_t stream();

/// The NCCL type of a dtype (bf16: ncclBfloat16).
ncclDataType_t ncclType(mfrt_dtype dtype);

/// tensor() plus: its elements live in device memory.
bool checkDeviceTensor(ArgChecker &check, const mfrt_tensor *t,
                       const char *name);

/// Waits for the NCCL call that returned `enqueued` on `comm` (and for the
/// stream work queued so far): polls ncclCommGetAsyncError until the call
/// is queued, then the stream until it ran, within the comm timeout
/// (mfrt_comm_timeout_s). On an NCCL or CUDA error or at the timeout it
/// aborts the communicator and the job (mfrt_comm_abort) with a message
/// naming `fn`, the group and `what`: a collective whose peers may be stuck
/// in it cannot return. `group` may be NULL during start-up.
void complete(ncclComm_t comm, ncclResult_t enqueued, const char *fn,
              const mfrt_comm_group *group, const char *what);

/// Re-records the last error with a printf-style prefix (copying it first:
/// it cannot be formatted into itself).
[[gnu::format(printf, 2, 3)]] mfrt_status prefixError(mfrt_status s,
                                                       const char *fmt, ...);

/// Records "fn: group 'g': call failed: <CUDA error>" (a failed copy).
mfrt_status cudaFailed(cudaError_t err, const char *fn,
                       const mfrt_comm_group *g, const char *call);

} // namespace mfrt::nccl

#endif // MOEFOLD_RUNTIME_COMM_NCCL_NCCL_H
