//===- Collectives.cpp - NCCL all_reduce, all_gather, reduce_scatter, ... -===//
//
// The dense collectives on device tensors, with the MPI backend's argument
// checks, consistency checks (over MPI) and byte accounting. NCCL
// concatenates along the leading dimension only: a gather along an inner
// dimension lands in a scratch buffer [member][outer][block] and is unpacked
// into [outer][member][block] by one strided copy per member
// (cudaMemcpy2DAsync, Plan.h); reduce_scatter packs the other way first.
// Every call waits until its NCCL work has run (complete()). barrier is
// MPI's: NCCL calls have all completed by the time they return.
//
//===----------------------------------------------------------------------===//

#include "Collectives.h"
#include "MpiBackend.h"
#include "Nccl.h"
#include "Plan.h"

#include "../cuda/Context.h"

#include <cstdarg>
#include <cstdio>

using namespace mfrt;
using namespace mfrt::comm;
using namespace mfrt::nccl;

namespace {

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

ncclRedOp_t ncclOp(mfrt_reduce_op op) {
  switch (enumValue(op)) {
  case MFRT_REDUCE_AVG:
    return ncclAvg;
  case MFRT_REDUCE_MAX:
    return ncclMax;
  }
  return ncclSum;
}

/// The MPI backend's reduce-op check, except that NCCL reduces bf16 too.
bool checkReduceOp(ArgChecker &check, mfrt_reduce_op op, mfrt_dtype dtype) {
  int raw = enumValue(op);
  if (raw < MFRT_REDUCE_SUM || raw > MFRT_REDUCE_MAX)
    return check.fail("op: unknown reduce op %d", raw);
  if (raw == MFRT_REDUCE_AVG && dtype != MFRT_F32 && dtype != MFRT_F64 &&
      dtype != MFRT_BF16)
    return check.fail("op avg needs a float dtype (f32, f64, bf16), got %s",
                      mfrt_dtype_name(dtype));
  return true;
}

bool checkDim(ArgChecker &check, const mfrt_tensor *t, const char *name,
              int64_t dim) {
  if (t->rank < 1)
    return check.fail("%s: expected rank >= 1 to split along a dimension, "
                      "got a scalar",
                      name);
  if (dim < 0 || dim >= t->rank)
    return check.fail("dim: %lld is outside [0, %d) for %s of rank %d",
                      static_cast<long long>(dim), t->rank, name, t->rank);
  return true;
}

/// "f32 [4, 3]" followed by the printf-style suffix, for messages.
[[gnu::format(printf, 4, 5)]] void describe(const mfrt_tensor *t, char *buf,
                                            size_t size, const char *suffix,
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

/// Runs the strided copies of a gather's unpack or a scatter's pack.
mfrt_status copyBlocks(char *dst, const char *src, const DimSplit &split,
                       int64_t n, bool gather, const char *fn,
                       const mfrt_comm_group *g) {
  for (int64_t m = 0; m < n; ++m) {
    Copy2D c = gather ? unpackGathered(split, n, m)
                      : packForScatter(split, n, m);
    cudaError_t err = cudaMemcpy2DAsync(
        dst + c.dstOffset, static_cast<size_t>(c.dstPitch), src + c.srcOffset,
        static_cast<size_t>(c.srcPitch), static_cast<size_t>(c.width),
        static_cast<size_t>(c.height), cudaMemcpyDeviceToDevice, stream());
    if (err != cudaSuccess)
      return cudaFailed(err, fn, g, "cudaMemcpy2DAsync");
  }
  return MFRT_OK;
}

} // namespace

extern "C" mfrt_status mfrt_comm_barrier(mfrt_comm_group *group) {
  return mfrt_mpi_comm_barrier(group);
}

extern "C" mfrt_status mfrt_comm_all_reduce(mfrt_comm_group *group,
                                            const mfrt_tensor *in,
                                            const mfrt_tensor *out,
                                            mfrt_reduce_op op) {
  const char *fn = "mfrt_comm_all_reduce";
  ArgChecker check(fn);
  if (!checkGroup(check, group) || !checkDeviceTensor(check, out, "out") ||
      (in && !checkDeviceTensor(check, in, "in")) ||
      !checkReduceOp(check, op, out->dtype))
    return check.status();
  bool inPlace = !in || in->data == out->data;
  if (in) {
    if (in->dtype != out->dtype)
      check.fail("in: dtype %s differs from out's %s",
                 mfrt_dtype_name(in->dtype), mfrt_dtype_name(out->dtype));
    if (check.shape(in, "in", Dims::of(out)) && !inPlace && overlaps(in, out))
      check.fail("in and out overlap without being the same buffer");
    if (check.status() != MFRT_OK)
      return check.status();
  }
  char what[320];
  describe(out, what, sizeof(what), " op=%s", opName(op));
  mfrt_status s = checkConsistent(
      group, fn,
      Signature().add(MFRT_COMM_ALL_REDUCE).addShape(out).add(enumValue(op)),
      what);
  if (s != MFRT_OK)
    return s;
  if (numel(out) > 0)
    complete(commOf(group),
             ncclAllReduce(inPlace ? out->data : in->data, out->data,
                           static_cast<size_t>(numel(out)),
                           ncclType(out->dtype), ncclOp(op), commOf(group),
                           stream()),
             fn, group, "ncclAllReduce");
  int64_t bytes = byteModel::allReduce(group->size, bytesOf(out));
  record(group, MFRT_COMM_ALL_REDUCE, bytes, bytes);
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_comm_all_gather(mfrt_comm_group *group,
                                            const mfrt_tensor *in,
                                            const mfrt_tensor *out,
                                            int64_t dim) {
  const char *fn = "mfrt_comm_all_gather";
  ArgChecker check(fn);
  if (!checkGroup(check, group) || !checkDeviceTensor(check, in, "in") ||
      !checkDeviceTensor(check, out, "out") || !checkDim(check, in, "in", dim))
    return check.status();
  int32_t d = static_cast<int32_t>(dim);
  int64_t n = group->size;
  if (out->dtype != in->dtype)
    check.fail("out: dtype %s differs from in's %s",
               mfrt_dtype_name(out->dtype), mfrt_dtype_name(in->dtype));
  Dims expected = Dims::of(in);
  expected.d[d] *= n;
  if (!check.shape(out, "out", expected))
    return check.status();
  if (overlaps(in, out))
    check.fail("in and out overlap");
  if (check.status() != MFRT_OK)
    return check.status();

  char what[320];
  describe(in, what, sizeof(what), " dim=%lld", static_cast<long long>(dim));
  mfrt_status s = checkConsistent(
      group, fn, Signature().add(MFRT_COMM_ALL_GATHER).addShape(in).add(dim),
      what);
  if (s != MFRT_OK)
    return s;

  DimSplit split = dimSplit(in, d);
  size_t count = static_cast<size_t>(numel(in));
  if (count > 0) {
    bool direct = contiguousBlocks(split, n);
    gpu::Scratch scratch;
    if (!direct && (s = scratch.allocate(fn, static_cast<size_t>(
                                                 bytesOf(out)))) != MFRT_OK)
      return s;
    void *dst = direct ? out->data : scratch.get();
    complete(commOf(group),
             ncclAllGather(in->data, dst, count, ncclType(in->dtype),
                           commOf(group), stream()),
             fn, group, "ncclAllGather");
    if (!direct &&
        (s = copyBlocks(static_cast<char *>(out->data),
                        scratch.as<const char>(), split, n, true, fn,
                        group)) != MFRT_OK)
      return s;
  }
  int64_t bytes = byteModel::allGather(n, bytesOf(in));
  record(group, MFRT_COMM_ALL_GATHER, bytes, bytes);
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_comm_reduce_scatter(mfrt_comm_group *group,
                                                const mfrt_tensor *in,
                                                const mfrt_tensor *out,
                                                int64_t dim,
                                                mfrt_reduce_op op) {
  const char *fn = "mfrt_comm_reduce_scatter";
  ArgChecker check(fn);
  if (!checkGroup(check, group) || !checkDeviceTensor(check, in, "in") ||
      !checkDeviceTensor(check, out, "out") ||
      !checkReduceOp(check, op, in->dtype) || !checkDim(check, in, "in", dim))
    return check.status();
  int32_t d = static_cast<int32_t>(dim);
  int64_t n = group->size;
  if (in->shape[d] % n != 0) {
    check.fail("in: extent %lld of dim %lld is not divisible by the group "
               "size %lld",
               static_cast<long long>(in->shape[d]),
               static_cast<long long>(dim), static_cast<long long>(n));
    return check.status();
  }
  if (out->dtype != in->dtype)
    check.fail("out: dtype %s differs from in's %s",
               mfrt_dtype_name(out->dtype), mfrt_dtype_name(in->dtype));
  Dims expected = Dims::of(in);
  expected.d[d] /= n;
  if (!check.shape(out, "out", expected))
    return check.status();
  if (overlaps(in, out))
    check.fail("in and out overlap");
  if (check.status() != MFRT_OK)
    return check.status();

  char what[320];
  describe(in, what, sizeof(what), " dim=%lld op=%s",
           static_cast<long long>(dim), opName(op));
  mfrt_status s = checkConsistent(group, fn,
                                  Signature()
                                      .add(MFRT_COMM_REDUCE_SCATTER)
                                      .addShape(in)
                                      .add(dim)
                                      .add(enumValue(op)),
                                  what);
  if (s != MFRT_OK)
    return s;

  DimSplit split = dimSplit(out, d);
  size_t count = static_cast<size_t>(numel(out));
  if (count > 0) {
    bool direct = contiguousBlocks(split, n);
    gpu::Scratch scratch;
    if (!direct) {
      if ((s = scratch.allocate(fn, static_cast<size_t>(bytesOf(in)))) !=
              MFRT_OK ||
          (s = copyBlocks(scratch.as<char>(),
                          static_cast<const char *>(in->data), split, n,
                          false, fn, group)) != MFRT_OK)
        return s;
    }
    complete(commOf(group),
             ncclReduceScatter(direct ? in->data : scratch.get(), out->data,
                               count, ncclType(in->dtype), ncclOp(op),
                               commOf(group), stream()),
             fn, group, "ncclReduceScatter");
  }
  int64_t bytes = byteModel::reduceScatter(n, bytesOf(out));
  record(group, MFRT_COMM_REDUCE_SCATTER, bytes, bytes);
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_comm_broadcast(mfrt_comm_group *group,
                                           const mfrt_tensor *t, int64_t root) {
  const char *fn = "mfrt_comm_broadcast";
  ArgChecker check(fn);
  if (!checkGroup(check, group) || !checkDeviceTensor(check, t, "t"))
    return check.status();
  if (root < 0 || root >= group->size) {
    check.fail("root: %lld is outside the group positions [0, %lld)",
               static_cast<long long>(root),
               static_cast<long long>(group->size));
    return check.status();
  }
  char what[320];
  describe(t, what, sizeof(what), " root=%lld", static_cast<long long>(root));
  mfrt_status s = checkConsistent(
      group, fn, Signature().add(MFRT_COMM_BROADCAST).addShape(t).add(root),
      what);
  if (s != MFRT_OK)
    return s;
  if (numel(t) > 0)
    complete(commOf(group),
             ncclBroadcast(t->data, t->data, static_cast<size_t>(numel(t)),
                           ncclType(t->dtype), static_cast<int>(root),
                           commOf(group), stream()),
             fn, group, "ncclBroadcast");
  int64_t bytes = byteModel::broadcast(group->size, bytesOf(t));
  bool isRoot = group->rank == root;
  record(group, MFRT_COMM_BROADCAST, isRoot ? bytes : 0, isRoot ? 0 : bytes);
  return MFRT_OK;
}
