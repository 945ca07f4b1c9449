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

#include "CollectiveChecks.h"
#include "MpiBackend.h"
#include "Nccl.h"
#include "Plan.h"

#include "../cuda/Context.h"

using namespace mfrt;
using namespace mfrt::comm;
using namespace mfrt::nccl;

namespace {

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
  if (!checkAllReduceInput(check, in, out))
    return check.status();
  bool inPlace = !in || in->data == out->data;
  mfrt_status s = consistentAllReduce(group, fn, out, op);
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
      !checkDeviceTensor(check, out, "out") ||
      !checkAllGatherArgs(check, in, out, dim, group->size))
    return check.status();
  int32_t d = static_cast<int32_t>(dim);
  int64_t n = group->size;
  mfrt_status s = consistentAllGather(group, fn, in, dim);
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
      !checkReduceOp(check, op, in->dtype) ||
      !checkReduceScatterArgs(check, in, out, dim, group->size))
    return check.status();
  int32_t d = static_cast<int32_t>(dim);
  int64_t n = group->size;
  mfrt_status s = consistentReduceScatter(group, fn, in, dim, op);
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
  if (!checkGroup(check, group) || !checkDeviceTensor(check, t, "t") ||
      !checkRoot(check, root, group->size))
    return check.status();
  mfrt_status s = consistentBroadcast(group, fn, t, root);
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
