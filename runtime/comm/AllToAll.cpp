//===- AllToAll.cpp - ragged all_to_all of tensor rows --------------------===//
//
// The MoE dispatch exchange (DESIGN.md §5): each rank sends a variable number
// of rows to every member of the ep group. Two collective steps:
//
//   1. mfrt_comm_all_to_all_recv_rows: MPI_Alltoall of the per-member row
//      counts, so each rank learns how many rows it will receive and can
//      size its buffer. A rank with invalid counts sends -1 to everyone, so
//      the whole group fails together instead of hanging in step 2.
//   2. mfrt_comm_all_to_all: MPI_Alltoallv with a one-row datatype (counts
//      and displacements in rows, so only row counts are limited to int).
//
// The inverse exchange (combine) already knows its counts, the forward
// call's send and receive counts swapped, and calls step 2 directly.
//
//===----------------------------------------------------------------------===//

#include "CollectiveChecks.h"

#include <climits>

using namespace mfrt;
using namespace mfrt::comm;

namespace {

/// Validates a [n] i32/i64 count tensor.
bool checkCountTensor(ArgChecker &check, const mfrt_tensor *t, const char *name,
                      int64_t n) {
  return check.tensor(t, name) && checkCountShape(check, t, name, n);
}

int64_t countAt(const mfrt_tensor *t, int64_t i) {
  return t->dtype == MFRT_I32 ? ptr<int32_t>(t)[i] : ptr<int64_t>(t)[i];
}

/// Checks count values: each >= 0, sum <= limit (rows available) and the
/// sum within MPI's int. Returns false after recording the error.
bool checkCountValues(ArgChecker &check, const mfrt_tensor *t, const char *name,
                      int64_t limit, const char *limitName, int64_t *sum) {
  *sum = 0;
  for (int64_t i = 0; i < t->shape[0]; ++i) {
    int64_t c = countAt(t, i);
    if (c < 0)
      return check.fail("%s: entry %lld is negative (%lld)", name,
                        static_cast<long long>(i), static_cast<long long>(c));
    if (c > INT_MAX || *sum > INT_MAX - c)
      return check.fail("%s: row counts exceed MPI's int limit %d", name,
                        INT_MAX);
    *sum += c;
  }
  if (limit >= 0 && *sum > limit)
    return check.fail("%s: rows sum to %lld but %s has %lld rows", name,
                      static_cast<long long>(*sum), limitName,
                      static_cast<long long>(limit));
  return true;
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
  int64_t n = group->size;
  mfrt_status s =
      checkConsistent(group, fn, Signature().add(MFRT_COMM_ALL_TO_ALL_COUNTS),
                      "row-count exchange");
  if (s != MFRT_OK)
    return s;

  // Bad values poison the exchange (-1 to everyone) instead of returning
  // early, so that every member fails in this call.
  int64_t sum = 0;
  bool valid =
      checkCountValues(check, send_counts, "send_counts", -1, "", &sum);
  Buffer<int64_t> sendBuf(n), recvBuf(n);
  if (!sendBuf.ok() || !recvBuf.ok())
    return outOfMemory(fn);
  for (int64_t i = 0; i < n; ++i)
    sendBuf[i] = valid ? countAt(send_counts, i) : -1;
  {
    WatchdogScope watch("all_to_all row-count exchange", group);
    s = mpiCheck(MPI_Alltoall(sendBuf.data(), 1, MPI_INT64_T, recvBuf.data(), 1,
                              MPI_INT64_T, group->comm),
                 fn, group, "MPI_Alltoall");
  }
  if (s != MFRT_OK)
    return s;
  if (!valid)
    return check.status();
  int64_t total = 0;
  for (int64_t j = 0; j < n; ++j) {
    if (recvBuf[j] < 0)
      return setError(MFRT_ERROR_INVALID_ARGUMENT,
                      "%s: group '%s': member %lld (world rank %lld) passed "
                      "invalid send counts; see its error",
                      fn, group->name.c_str(), static_cast<long long>(j),
                      static_cast<long long>(group->members[j]));
    total += recvBuf[j];
  }
  if (total > INT_MAX)
    return setError(MFRT_ERROR_UNSUPPORTED,
                    "%s: group '%s': %lld rows to receive exceed MPI's int "
                    "limit %d",
                    fn, group->name.c_str(), static_cast<long long>(total),
                    INT_MAX);
  for (int64_t j = 0; j < n; ++j) {
    if (recv_counts->dtype == MFRT_I32)
      ptr<int32_t>(recv_counts)[j] = static_cast<int32_t>(recvBuf[j]);
    else
      ptr<int64_t>(recv_counts)[j] = recvBuf[j];
  }
  if (total_rows)
    *total_rows = total;
  int64_t bytes = byteModel::countExchange(n);
  record(group, MFRT_COMM_ALL_TO_ALL_COUNTS, bytes, bytes);
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_comm_all_to_all(mfrt_comm_group *group,
                                            const mfrt_tensor *send,
                                            const mfrt_tensor *send_counts,
                                            const mfrt_tensor *recv,
                                            const mfrt_tensor *recv_counts) {
  const char *fn = "mfrt_comm_all_to_all";
  ArgChecker check(fn);
  if (!checkGroup(check, group) || !check.tensor(send, "send") ||
      !check.tensor(recv, "recv") ||
      !checkCountTensor(check, send_counts, "send_counts", group->size) ||
      !checkCountTensor(check, recv_counts, "recv_counts", group->size))
    return check.status();
  Dims rowShape;
  if (!checkRows(check, send, recv, &rowShape))
    return check.status();
  int64_t sendTotal = 0, recvTotal = 0;
  if (!checkCountValues(check, send_counts, "send_counts", send->shape[0],
                        "send", &sendTotal) ||
      !checkCountValues(check, recv_counts, "recv_counts", recv->shape[0],
                        "recv", &recvTotal))
    return check.status();
  if (overlaps(send, recv)) {
    check.fail("send and recv overlap");
    return check.status();
  }

  int64_t n = group->size;
  // Trailing extents are bounded by the element-count check of tensor()
  // unless the leading one is 0; guard the product anyway.
  int64_t rowBytes = static_cast<int64_t>(mfrt_dtype_size(send->dtype));
  for (int32_t i = 1; i < send->rank && rowBytes <= INT_MAX; ++i)
    rowBytes = send->shape[i] > INT64_MAX / (INT_MAX + 1ll)
                   ? INT64_MAX
                   : rowBytes * send->shape[i];
  if (rowBytes > INT_MAX)
    return setError(MFRT_ERROR_UNSUPPORTED,
                    "%s: one row is %lld bytes, over MPI's int limit %d", fn,
                    static_cast<long long>(rowBytes), INT_MAX);

  mfrt_status s = consistentAllToAll(group, fn, send, rowShape);
  if (s != MFRT_OK)
    return s;

  Buffer<int> sc(n), sd(n), rc(n), rd(n);
  if (!sc.ok() || !sd.ok() || !rc.ok() || !rd.ok())
    return outOfMemory(fn);
  int64_t so = 0, ro = 0;
  for (int64_t j = 0; j < n; ++j) {
    // With empty rows nothing moves; zero counts keep MPI's type
    // signatures matched on every rank.
    sc[j] = rowBytes ? static_cast<int>(countAt(send_counts, j)) : 0;
    rc[j] = rowBytes ? static_cast<int>(countAt(recv_counts, j)) : 0;
    sd[j] = static_cast<int>(so);
    rd[j] = static_cast<int>(ro);
    so += sc[j];
    ro += rc[j];
  }

  if (state().consistencyChecks) {
    // The receive counts must be what the peers send.
    Buffer<int> expect(n);
    if (!expect.ok())
      return outOfMemory(fn);
    {
      WatchdogScope watch("all_to_all count check", group);
      s = mpiCheck(MPI_Alltoall(sc.data(), 1, MPI_INT, expect.data(), 1,
                                MPI_INT, group->comm),
                   fn, group, "MPI_Alltoall (count check)");
    }
    if (s != MFRT_OK)
      return s;
    Buffer<int64_t> got(n), want(n);
    if (!got.ok() || !want.ok())
      return outOfMemory(fn);
    for (int64_t j = 0; j < n; ++j) {
      got[j] = rc[j];
      want[j] = expect[j];
    }
    s = agreeOnRecvCounts(group, fn, got.data(), want.data());
    if (s != MFRT_OK)
      return s;
  }

  MPI_Datatype row = MPI_BYTE;
  if (rowBytes) {
    s = mpiCheck(
        MPI_Type_contiguous(static_cast<int>(rowBytes), MPI_BYTE, &row), fn,
        group, "MPI_Type_contiguous");
    if (s == MFRT_OK)
      s = mpiCheck(MPI_Type_commit(&row), fn, group, "MPI_Type_commit");
    if (s != MFRT_OK)
      return s;
  }
  {
    WatchdogScope watch("all_to_all", group);
    s = mpiCheck(MPI_Alltoallv(dataOrDummy(send), sc.data(), sd.data(), row,
                               dataOrDummy(recv), rc.data(), rd.data(), row,
                               group->comm),
                 fn, group, "MPI_Alltoallv");
  }
  if (rowBytes)
    MPI_Type_free(&row);
  if (s != MFRT_OK)
    return s;

  // Rows a rank keeps for itself are a local copy, not traffic.
  int64_t me = group->rank;
  int64_t sent = (sendTotal - countAt(send_counts, me)) * rowBytes;
  int64_t received = (recvTotal - countAt(recv_counts, me)) * rowBytes;
  record(group, MFRT_COMM_ALL_TO_ALL, sent, received,
         countAt(send_counts, me) * rowBytes);
  return MFRT_OK;
}
