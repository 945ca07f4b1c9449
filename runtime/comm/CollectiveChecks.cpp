//===- CollectiveChecks.cpp - argument checks shared by the comm backends -===//
//
// See CollectiveChecks.h. The error texts are the MPI backend's; the NCCL
// backend reports the same ones.
//
//===----------------------------------------------------------------------===//

#include "CollectiveChecks.h"

#include <cstdarg>
#include <cstdio>

namespace mfrt::comm {

const char *opName(mfrt_reduce_op op) {
  switch (enumValue(op)) {
  case MFRT_REDUCE_SUM:
    return "sum";
  case MFRT_REDUCE_AVG:
    return "avg";
  case MFRT_REDUCE_MAX:
    return "max";
  }
  return "?";
}

void describe(const mfrt_tensor *t, char *buf, size_t size, const char *suffix,
              ...) {
  char dims[256];
  formatDims(Dims::of(t), dims, sizeof(dims));
  int used = std::snprintf(buf, size, "%s %s", mfrt_dtype_name(t->dtype), dims);
  if (used < 0 || static_cast<size_t>(used) >= size)
    return;
  va_list args;
  va_start(args, suffix);
  std::vsnprintf(buf + used, size - used, suffix, args);
  va_end(args);
}

bool checkDim(ArgChecker &check, const mfrt_tensor *t, const char *name,
              int64_t dim) {
  if (check.status() != MFRT_OK)
    return false;
  if (t->rank < 1)
    return check.fail("%s: expected rank >= 1 to split along a dimension, "
                      "got a scalar",
                      name);
  if (dim < 0 || dim >= t->rank)
    return check.fail("dim: %lld is outside [0, %d) for %s of rank %d",
                      static_cast<long long>(dim), t->rank, name, t->rank);
  return true;
}

bool checkAllReduceInput(ArgChecker &check, const mfrt_tensor *in,
                         const mfrt_tensor *out) {
  if (!in)
    return true;
  bool inPlace = in->data == out->data;
  if (in->dtype != out->dtype)
    check.fail("in: dtype %s differs from out's %s", mfrt_dtype_name(in->dtype),
               mfrt_dtype_name(out->dtype));
  if (check.shape(in, "in", Dims::of(out)) && !inPlace && overlaps(in, out))
    check.fail("in and out overlap without being the same buffer");
  return check.status() == MFRT_OK;
}

/// The common tail of all_gather and reduce_scatter: out's dtype and
/// `expected` shape, then no overlap.
static bool checkSplitOutput(ArgChecker &check, const mfrt_tensor *in,
                             const mfrt_tensor *out, const Dims &expected) {
  if (out->dtype != in->dtype)
    check.fail("out: dtype %s differs from in's %s",
               mfrt_dtype_name(out->dtype), mfrt_dtype_name(in->dtype));
  if (!check.shape(out, "out", expected))
    return false;
  if (overlaps(in, out))
    check.fail("in and out overlap");
  return check.status() == MFRT_OK;
}

bool checkAllGatherArgs(ArgChecker &check, const mfrt_tensor *in,
                        const mfrt_tensor *out, int64_t dim, int64_t n) {
  if (!checkDim(check, in, "in", dim))
    return false;
  Dims expected = Dims::of(in);
  expected.d[dim] *= n;
  return checkSplitOutput(check, in, out, expected);
}

bool checkReduceScatterArgs(ArgChecker &check, const mfrt_tensor *in,
                            const mfrt_tensor *out, int64_t dim, int64_t n) {
  if (!checkDim(check, in, "in", dim))
    return false;
  if (in->shape[dim] % n != 0)
    return check.fail("in: extent %lld of dim %lld is not divisible by the "
                      "group size %lld",
                      static_cast<long long>(in->shape[dim]),
                      static_cast<long long>(dim), static_cast<long long>(n));
  Dims expected = Dims::of(in);
  expected.d[dim] /= n;
  return checkSplitOutput(check, in, out, expected);
}

bool checkRoot(ArgChecker &check, int64_t root, int64_t n) {
  if (root < 0 || root >= n)
    return check.fail("root: %lld is outside the group positions [0, %lld)",
                      static_cast<long long>(root), static_cast<long long>(n));
  return true;
}

bool checkCountShape(ArgChecker &check, const mfrt_tensor *t, const char *name,
                     int64_t n) {
  if (t->dtype != MFRT_I32 && t->dtype != MFRT_I64)
    return check.fail("%s: expected dtype i32 or i64, got %s", name,
                      mfrt_dtype_name(t->dtype));
  return check.shape(t, name, Dims{n});
}

bool checkRows(ArgChecker &check, const mfrt_tensor *send,
               const mfrt_tensor *recv, Dims *rowShape) {
  if (!check.rankAtLeast(send, "send", 1) ||
      !check.rankAtLeast(recv, "recv", 1))
    return false;
  if (recv->dtype != send->dtype)
    return check.fail("recv: dtype %s differs from send's %s",
                      mfrt_dtype_name(recv->dtype),
                      mfrt_dtype_name(send->dtype));
  *rowShape = Dims::of(send);
  rowShape->d[0] = -1;
  return check.shape(recv, "recv", *rowShape);
}

mfrt_status consistentAllReduce(mfrt_comm_group *g, const char *fn,
                                const mfrt_tensor *out, mfrt_reduce_op op) {
  char what[320];
  describe(out, what, sizeof(what), " op=%s", opName(op));
  return checkConsistent(
      g, fn,
      Signature().add(MFRT_COMM_ALL_REDUCE).addShape(out).add(enumValue(op)),
      what);
}

mfrt_status consistentAllGather(mfrt_comm_group *g, const char *fn,
                                const mfrt_tensor *in, int64_t dim) {
  char what[320];
  describe(in, what, sizeof(what), " dim=%lld", static_cast<long long>(dim));
  return checkConsistent(
      g, fn, Signature().add(MFRT_COMM_ALL_GATHER).addShape(in).add(dim), what);
}

mfrt_status consistentReduceScatter(mfrt_comm_group *g, const char *fn,
                                    const mfrt_tensor *in, int64_t dim,
                                    mfrt_reduce_op op) {
  char what[320];
  describe(in, what, sizeof(what), " dim=%lld op=%s",
           static_cast<long long>(dim), opName(op));
  return checkConsistent(g, fn,
                         Signature()
                             .add(MFRT_COMM_REDUCE_SCATTER)
                             .addShape(in)
                             .add(dim)
                             .add(enumValue(op)),
                         what);
}

mfrt_status consistentBroadcast(mfrt_comm_group *g, const char *fn,
                                const mfrt_tensor *t, int64_t root) {
  char what[320];
  describe(t, what, sizeof(what), " root=%lld", static_cast<long long>(root));
  return checkConsistent(
      g, fn, Signature().add(MFRT_COMM_BROADCAST).addShape(t).add(root), what);
}

mfrt_status consistentAllToAll(mfrt_comm_group *g, const char *fn,
                               const mfrt_tensor *send, const Dims &rowShape) {
  char what[320], dims[256];
  formatDims(rowShape, dims, sizeof(dims));
  std::snprintf(what, sizeof(what), "%s rows %s", mfrt_dtype_name(send->dtype),
                dims);
  Signature sig;
  sig.add(MFRT_COMM_ALL_TO_ALL).addShape(send, 0);
  return checkConsistent(g, fn, sig, what);
}

/// "[a, b, c]" of the first n counts, cut at `size`.
static void formatCounts(const int64_t *c, int64_t n, char *buf, size_t size) {
  size_t used = static_cast<size_t>(std::snprintf(buf, size, "["));
  for (int64_t i = 0; i < n && used < size; ++i)
    used += static_cast<size_t>(std::snprintf(buf + used, size - used, "%s%lld",
                                              i ? ", " : "",
                                              static_cast<long long>(c[i])));
  if (used < size)
    std::snprintf(buf + used, size - used, "]");
}

mfrt_status agreeOnRecvCounts(mfrt_comm_group *g, const char *fn,
                              const int64_t *got, const int64_t *want) {
  int64_t n = g->size;
  bool same = true;
  for (int64_t j = 0; j < n; ++j)
    same &= got[j] == want[j];
  mfrt_status s = MFRT_OK;
  int64_t failing = firstFailingRank(g->comm, !same, g->rank, &s, fn, g);
  if (s != MFRT_OK || failing < 0)
    return s;
  if (!same) {
    int64_t shown = n < 64 ? n : 64;
    char gotText[512], wantText[512];
    formatCounts(got, shown, gotText, sizeof(gotText));
    formatCounts(want, shown, wantText, sizeof(wantText));
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "%s: group '%s': recv_counts %s on member %lld differ "
                    "from the rows its peers send %s (MOEFOLD_COMM_CHECK)",
                    fn, g->name.c_str(), gotText,
                    static_cast<long long>(g->rank), wantText);
  }
  return setError(MFRT_ERROR_INVALID_ARGUMENT,
                  "%s: group '%s': member %lld passed recv_counts that "
                  "differ from the rows its peers send (MOEFOLD_COMM_CHECK)",
                  fn, g->name.c_str(), static_cast<long long>(failing));
}

} // namespace mfrt::comm
