//===- AllToAll.cpp - NCCL ragged all_to_all of device rows ---------------===//
//
// The MPI backend's two-step protocol (docs/comm.md) on device tensors:
//
//   1. mfrt_comm_all_to_all_recv_rows: the [n] send counts come to the host
//      (one small copy), the MPI backend's count exchange runs on them
//      (so an invalid count fails every member in this step, as with MPI),
//      and the received counts go back to the device.
//   2. mfrt_comm_all_to_all: both count tensors come to the host to size
//      the transfers (Plan.h: raggedPlan), then one ncclGroupStart/End of
//      ncclSend/ncclRecv per peer with rows; the rows a rank keeps are one
//      device-to-device copy.
//
//===----------------------------------------------------------------------===//

#include "CollectiveChecks.h"
#include "MpiBackend.h"
#include "Nccl.h"
#include "Plan.h"

#include "moefold_runtime/mfrt_device.h"

#include <vector>

using namespace mfrt;
using namespace mfrt::comm;
using namespace mfrt::nccl;

namespace {

/// Validates a [n] i32/i64 count tensor in device memory.
bool checkCountTensor(ArgChecker &check, const mfrt_tensor *t, const char *name,
                      int64_t n) {
  return checkDeviceTensor(check, t, name) &&
         checkCountShape(check, t, name, n);
}

/// The counts of a validated count tensor, as int64 on the host.
mfrt_status countsToHost(const mfrt_tensor *t, std::vector<int64_t> &out,
                         const char *fn) {
  size_t n = static_cast<size_t>(t->shape[0]);
  out.assign(n, 0);
  if (n == 0)
    return MFRT_OK;
  mfrt_status s;
  if (t->dtype == MFRT_I64) {
    s = mfrt_device_copy_to_host(out.data(), t->data, n * sizeof(int64_t));
  } else {
    std::vector<int32_t> narrow(n);
    s = mfrt_device_copy_to_host(narrow.data(), t->data,
                                 n * sizeof(int32_t));
    for (size_t i = 0; i < n; ++i)
      out[i] = narrow[i];
  }
  if (s != MFRT_OK)
    return prefixError(s, "%s: copying the counts to the host: ", fn);
  return MFRT_OK;
}

/// A host tensor descriptor over `data` with t's dtype and shape.
mfrt_tensor hostLike(const mfrt_tensor *t, void *data) {
  mfrt_tensor h = *t;
  h.data = data;
  return h;
}

/// MOEFOLD_COMM_CHECK: the receive counts must be what the peers send
/// (the MPI backend's check, over MPI).
mfrt_status checkRecvCounts(mfrt_comm_group *group, const char *fn,
                            const std::vector<int64_t> &send,
                            const std::vector<int64_t> &recv) {
  int64_t n = group->size;
  std::vector<int64_t> expect(static_cast<size_t>(n));
  mfrt_status s;
  {
    WatchdogScope watch("all_to_all count check", group);
    s = mpiCheck(MPI_Alltoall(send.data(), 1, MPI_INT64_T, expect.data(), 1,
                              MPI_INT64_T, group->comm),
                 fn, group, "MPI_Alltoall (count check)");
  }
  if (s != MFRT_OK)
    return s;
  return agreeOnRecvCounts(group, fn, recv.data(), expect.data());
}

} // namespace

extern "C" mfrt_status mfrt_comm_all_to_all_recv_rows(
    mfrt_comm_group *group, const mfrt_tensor *send_counts,
    const mfrt_tensor *recv_counts, int64_t *total_rows) {
  const char *fn = "mfrt_comm_all_to_all_recv_rows";
  ArgChecker check(fn);
  if (!checkGroup(check, group) ||
      !checkCountTensor(check, send_counts, "send_counts", group->size) ||
      !checkCountTensor(check, recv_counts, "recv_counts", group->size))
    return check.status();
  if (overlaps(send_counts, recv_counts)) {
    check.fail("send_counts and recv_counts overlap");
    return check.status();
  }
  size_t bytes = static_cast<size_t>(bytesOf(send_counts));
  std::vector<char> sendHost(bytes), recvHost(bytes);
  mfrt_status s = mfrt_device_copy_to_host(sendHost.data(), send_counts->data,
                                           bytes);
  if (s != MFRT_OK)
    return prefixError(s, "%s: copying send_counts to the host: ", fn);
  mfrt_tensor sendDesc = hostLike(send_counts, sendHost.data());
  mfrt_tensor recvDesc = hostLike(recv_counts, recvHost.data());
  // Counts the exchange as the MPI backend does (all_to_all_counts).
  s = mfrt_mpi_comm_all_to_all_recv_rows(group, &sendDesc, &recvDesc,
                                         total_rows);
  if (s != MFRT_OK)
    return s;
  s = mfrt_device_copy_to_device(recv_counts->data, recvHost.data(), bytes);
  if (s != MFRT_OK)
    return prefixError(s, "%s: copying recv_counts to the device: ", fn);
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_comm_all_to_all(mfrt_comm_group *group,
                                            const mfrt_tensor *send,
                                            const mfrt_tensor *send_counts,
                                            const mfrt_tensor *recv,
                                            const mfrt_tensor *recv_counts) {
  const char *fn = "mfrt_comm_all_to_all";
  ArgChecker check(fn);
  if (!checkGroup(check, group) || !checkDeviceTensor(check, send, "send") ||
      !checkDeviceTensor(check, recv, "recv") ||
      !checkCountTensor(check, send_counts, "send_counts", group->size) ||
      !checkCountTensor(check, recv_counts, "recv_counts", group->size))
    return check.status();
  Dims rowShape;
  if (!checkRows(check, send, recv, &rowShape))
    return check.status();
  int64_t n = group->size;
  std::vector<int64_t> sc, rc;
  mfrt_status s = countsToHost(send_counts, sc, fn);
  if (s == MFRT_OK)
    s = countsToHost(recv_counts, rc, fn);
  if (s != MFRT_OK)
    return s;
  int64_t sendTotal = 0, recvTotal = 0;
  if (!checkCounts(check, sc.data(), n, "send_counts", send->shape[0], "send",
                   &sendTotal) ||
      !checkCounts(check, rc.data(), n, "recv_counts", recv->shape[0], "recv",
                   &recvTotal) ||
      !checkSelfRows(check, sc.data(), rc.data(), group->rank))
    return check.status();
  if (overlaps(send, recv)) {
    check.fail("send and recv overlap");
    return check.status();
  }
  // Bytes of one row (the element-count check of tensor() bounds it unless
  // the leading extent is 0; nothing moves then).
  int64_t rowBytes = static_cast<int64_t>(mfrt_dtype_size(send->dtype));
  for (int32_t i = 1; i < send->rank; ++i)
    rowBytes *= send->shape[i];

  s = consistentAllToAll(group, fn, send, rowShape);
  if (s == MFRT_OK && state().consistencyChecks)
    s = checkRecvCounts(group, fn, sc, rc);
  if (s != MFRT_OK)
    return s;

  RaggedPlan plan = raggedPlan(sc.data(), rc.data(), n, group->rank, rowBytes);
  const char *from = static_cast<const char *>(send->data);
  char *to = static_cast<char *>(recv->data);
  if (plan.localBytes) {
    cudaError_t err = cudaMemcpyAsync(
        to + plan.localDst, from + plan.localSrc,
        static_cast<size_t>(plan.localBytes), cudaMemcpyDeviceToDevice,
        stream());
    if (err != cudaSuccess)
      return cudaFailed(err, fn, group, "cudaMemcpyAsync (local rows)");
  }
  if (!plan.sends.empty() || !plan.recvs.empty()) {
    ncclComm_t comm = commOf(group);
    auto queued = [](ncclResult_t r) {
      return r == ncclSuccess || r == ncclInProgress;
    };
    ncclResult_t inside = ncclGroupStart();
    for (const Transfer &t : plan.sends)
      if (queued(inside))
        inside = ncclSend(from + t.offset, static_cast<size_t>(t.bytes),
                          ncclUint8, static_cast<int>(t.peer), comm, stream());
    for (const Transfer &t : plan.recvs)
      if (queued(inside))
        inside = ncclRecv(to + t.offset, static_cast<size_t>(t.bytes),
                          ncclUint8, static_cast<int>(t.peer), comm, stream());
    // The group is closed whatever happened inside it.
    ncclResult_t end = ncclGroupEnd();
    complete(comm, queued(inside) ? end : inside, fn, group,
             "ncclSend/ncclRecv group");
  }
  record(group, MFRT_COMM_ALL_TO_ALL, plan.bytesSent, plan.bytesReceived,
         plan.localBytes);
  return MFRT_OK;
}
