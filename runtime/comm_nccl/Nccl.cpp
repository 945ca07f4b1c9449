//===- Nccl.cpp - communicators, type mapping and bounded waits -----------===//

#include "Nccl.h"

#include "Plan.h"
#include "device/DeviceContext.h"

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <thread>
#include <utility>
#include <vector>

using namespace mfrt;
using namespace mfrt::comm;

static_assert(mfrt::nccl::kNoColor == NCCL_SPLIT_NOCOLOR,
              "Plan.h's kNoColor must be NCCL's");

namespace mfrt::nccl {

namespace {

/// Group -> communicator, in creation order ("world" first).
std::vector<std::pair<const mfrt_comm_group *, ncclComm_t>> &comms() {
  static std::vector<std::pair<const mfrt_comm_group *, ncclComm_t>> v;
  return v;
}

/// Marks the point in the stream a wait waits for.
cudaEvent_t doneEvent() {
  static cudaEvent_t ev = nullptr;
  if (!ev && cudaEventCreateWithFlags(&ev, cudaEventDisableTiming) !=
                 cudaSuccess) {
    cudaGetLastError();
    ev = nullptr;
  }
  return ev;
}

double nowS() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace

ncclComm_t commOf(const mfrt_comm_group *g) {
  for (const auto &entry : comms())
    if (entry.first == g)
      return entry.second;
  return nullptr;
}

void attach(const mfrt_comm_group *g, ncclComm_t comm) {
  comms().emplace_back(g, comm);
}

mfrt_status destroyAll(const char *fn) {
  auto &all = comms();
  mfrt_status status = MFRT_OK;
  for (size_t i = all.size(); i-- > 0;) {
    ncclComm_t c = all[i].second;
    complete(c, ncclCommFinalize(c), fn, all[i].first, "ncclCommFinalize");
    ncclResult_t rc = ncclCommDestroy(c);
    if (rc != ncclSuccess && status == MFRT_OK)
      status = setError(MFRT_ERROR_COMM, "%s: group '%s': ncclCommDestroy "
                        "failed: %s", fn, all[i].first->name.c_str(),
                        ncclGetErrorString(rc));
  }
  all.clear();
  return status;
}

cudaStream_t stream() { return mfrt::gpu::computeStream(); }

ncclDataType_t ncclType(mfrt_dtype dtype) {
  switch (dtype) {
  case MFRT_F32:
    return ncclFloat32;
  case MFRT_F64:
    return ncclFloat64;
  case MFRT_I32:
    return ncclInt32;
  case MFRT_I64:
    return ncclInt64;
  case MFRT_BF16:
    return ncclBfloat16;
  }
  return ncclUint8;
}

bool checkDeviceTensor(ArgChecker &check, const mfrt_tensor *t,
                       const char *name) {
  if (!check.tensor(t, name))
    return false;
  if (numel(t) == 0)
    return true;
  cudaPointerAttributes attr{};
  cudaError_t err = cudaPointerGetAttributes(&attr, t->data);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return check.fail("%s: cannot query its memory: %s", name,
                      cudaGetErrorString(err));
  }
  if (attr.type != cudaMemoryTypeDevice && attr.type != cudaMemoryTypeManaged)
    return check.fail("%s: data %p is not in device memory (the NCCL comm "
                      "backend takes tensors from mfrt_device_alloc)",
                      name, t->data);
  return true;
}

mfrt_status prefixError(mfrt_status s, const char *fmt, ...) {
  char last[1024], prefix[512];
  std::snprintf(last, sizeof(last), "%s", mfrt_last_error());
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(prefix, sizeof(prefix), fmt, args);
  va_end(args);
  return setError(s, "%s%s", prefix, last);
}

mfrt_status cudaFailed(cudaError_t err, const char *fn,
                       const mfrt_comm_group *g, const char *call) {
  cudaGetLastError();
  return setError(MFRT_ERROR_COMM, "%s: group '%s': %s failed: %s", fn,
                  g ? g->name.c_str() : "?", call, cudaGetErrorString(err));
}

void complete(ncclComm_t comm, ncclResult_t enqueued, const char *fn,
              const mfrt_comm_group *group, const char *what) {
  char reason[512] = "";
  const char *groupName = group ? group->name.c_str() : "world";
  long long members = group ? static_cast<long long>(group->size)
                            : static_cast<long long>(state().world);
  auto ncclFailure = [&](const char *call, ncclResult_t rc) {
    const char *detail = ncclGetLastError(comm);
    std::snprintf(reason, sizeof(reason), "%s failed: %s%s%s", call,
                  ncclGetErrorString(rc), detail && *detail ? ": " : "",
                  detail ? detail : "");
    return Poll::Failed;
  };
  auto cudaFailure = [&](const char *call, cudaError_t err) {
    cudaGetLastError();
    std::snprintf(reason, sizeof(reason), "%s failed: %s", call,
                  cudaGetErrorString(err));
    return Poll::Failed;
  };

  bool recorded = false;
  int polls = 0;
  auto probe = [&]() -> Poll {
    if (enqueued != ncclSuccess && enqueued != ncclInProgress)
      return ncclFailure(what, enqueued);
    ncclResult_t async = ncclSuccess;
    ncclResult_t rc = ncclCommGetAsyncError(comm, &async);
    if (rc != ncclSuccess)
      return ncclFailure("ncclCommGetAsyncError", rc);
    if (async == ncclInProgress)
      return Poll::Pending; // a non-blocking call still being queued
    if (async != ncclSuccess)
      return ncclFailure(what, async);
    if (!recorded) {
      cudaEvent_t ev = doneEvent();
      if (!ev)
        return cudaFailure("cudaEventCreate", cudaErrorMemoryAllocation);
      cudaError_t err = cudaEventRecord(ev, stream());
      if (err != cudaSuccess)
        return cudaFailure("cudaEventRecord", err);
      recorded = true;
    }
    cudaError_t err = cudaEventQuery(doneEvent());
    if (err == cudaSuccess)
      return Poll::Done;
    if (err == cudaErrorNotReady)
      return Poll::Pending;
    return cudaFailure("the stream", err);
  };
  auto pause = [&] {
    // Spin briefly (collectives are often microseconds), then back off so a
    // waiting rank does not hold a core.
    if (++polls < 1000)
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(std::chrono::microseconds(50));
  };
  double timeout = mfrt_comm_timeout_s();
  double start = nowS();
  Waited result = pollUntil(probe, nowS, pause, timeout);
  if (result == Waited::Done)
    return;

  char msg[1024];
  if (result == Waited::TimedOut)
    std::snprintf(msg, sizeof(msg),
                  "%s: %s on group '%s' (%lld ranks) did not complete within "
                  "%g s (MOEFOLD_COMM_TIMEOUT_S=%g): a peer rank probably "
                  "died or is stuck; aborting the NCCL communicator and the "
                  "job",
                  fn, what, groupName, members, nowS() - start, timeout);
  else
    std::snprintf(msg, sizeof(msg),
                  "%s: %s on group '%s' (%lld ranks): %s; aborting the NCCL "
                  "communicator and the job",
                  fn, what, groupName, members, reason);
  // Abort first: it unblocks NCCL kernels still waiting for peers, so the
  // process can leave.
  ncclCommAbort(comm);
  mfrt_comm_abort(result == Waited::TimedOut ? MFRT_COMM_EXIT_TIMEOUT : 1,
                  msg);
}

} // namespace mfrt::nccl
