//===- Collectives.cpp - all_reduce, all_gather, reduce_scatter, ... ------===//
//
// Dense collectives over a group's communicator. MPI concatenates along the
// leading dimension only; a gather or scatter along an inner dimension packs
// (reduce_scatter) or unpacks (all_gather) through a scratch buffer laid out
// [member][outer][block].
//
//===----------------------------------------------------------------------===//

#include "CollectiveChecks.h"

#include <climits>
#include <cstring>

using namespace mfrt;
using namespace mfrt::comm;

namespace mfrt::comm {

MPI_Datatype mpiType(mfrt_dtype dtype) {
  switch (dtype) {
  case MFRT_F32:
    return MPI_FLOAT;
  case MFRT_F64:
    return MPI_DOUBLE;
  case MFRT_I32:
    return MPI_INT32_T;
  case MFRT_I64:
    return MPI_INT64_T;
  case MFRT_BF16:
    return MPI_UINT16_T;
  }
  return MPI_DATATYPE_NULL;
}

bool checkReduce(ArgChecker &check, mfrt_reduce_op op, mfrt_dtype dtype,
                 bool *unsupported) {
  *unsupported = false;
  int raw = enumValue(op);
  if (raw < MFRT_REDUCE_SUM || raw > MFRT_REDUCE_MAX)
    return check.fail("op: unknown reduce op %d", raw);
  if (dtype == MFRT_BF16) {
    *unsupported = true;
    return check.fail("dtype bf16 cannot be reduced (f32, f64, i32, i64)");
  }
  if (raw == MFRT_REDUCE_AVG && dtype != MFRT_F32 && dtype != MFRT_F64)
    return check.fail("op avg needs a float dtype (f32, f64), got %s",
                      mfrt_dtype_name(dtype));
  return true;
}

bool overlaps(const mfrt_tensor *a, const mfrt_tensor *b) {
  int64_t na = bytesOf(a), nb = bytesOf(b);
  if (na == 0 || nb == 0)
    return false;
  auto pa = reinterpret_cast<uintptr_t>(a->data);
  auto pb = reinterpret_cast<uintptr_t>(b->data);
  return pa < pb + static_cast<uintptr_t>(nb) &&
         pb < pa + static_cast<uintptr_t>(na);
}

bool toIntCount(int64_t count, const char *fn, const char *what, int *out) {
  if (count > INT_MAX) {
    setError(MFRT_ERROR_UNSUPPORTED,
             "%s: %s: %lld elements exceed MPI's int count limit %d", fn, what,
             static_cast<long long>(count), INT_MAX);
    return false;
  }
  *out = static_cast<int>(count);
  return true;
}

void *dataOrDummy(const mfrt_tensor *t) {
  static int64_t dummy[1];
  return t->data ? t->data : dummy;
}

mfrt_status checkConsistent(mfrt_comm_group *g, const char *fn,
                            const Signature &sig, const char *what) {
  if (!state().consistencyChecks)
    return MFRT_OK;
  int64_t v = static_cast<int64_t>(sig.h >> 2);
  int64_t h[2] = {v, -v};
  mfrt_status s;
  {
    WatchdogScope watch("argument consistency check", g);
    s = mpiCheck(
        MPI_Allreduce(MPI_IN_PLACE, h, 2, MPI_INT64_T, MPI_MIN, g->comm), fn, g,
        "MPI_Allreduce (consistency check)");
  }
  if (s != MFRT_OK)
    return s;
  if (h[0] != -h[1])
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "%s: group '%s': the group's ranks called it with "
                    "different arguments (MOEFOLD_COMM_CHECK); rank %lld: %s",
                    fn, g->name.c_str(), static_cast<long long>(state().rank),
                    what);
  return MFRT_OK;
}

} // namespace mfrt::comm

namespace {

/// Divides every element of a float tensor by n (avg = sum / n).
void scaleDown(const mfrt_tensor *t, int64_t n) {
  int64_t count = numel(t);
  if (t->dtype == MFRT_F32) {
    float *p = ptr<float>(t);
    for (int64_t i = 0; i < count; ++i)
      p[i] = static_cast<float>(static_cast<double>(p[i]) / n);
  } else if (t->dtype == MFRT_F64) {
    double *p = ptr<double>(t);
    for (int64_t i = 0; i < count; ++i)
      p[i] /= static_cast<double>(n);
  }
}

MPI_Op mpiOp(mfrt_reduce_op op) {
  return enumValue(op) == MFRT_REDUCE_MAX ? MPI_MAX : MPI_SUM;
}

/// Returns the status of a failed argument check, UNSUPPORTED for the
/// reductions MPI cannot do here.
mfrt_status checkStatus(const ArgChecker &check, bool unsupported) {
  if (!unsupported)
    return check.status();
  // Re-tag the recorded message's status.
  return MFRT_ERROR_UNSUPPORTED;
}

/// Product of extents [begin, end).
int64_t extent(const mfrt_tensor *t, int32_t begin, int32_t end) {
  int64_t n = 1;
  for (int32_t i = begin; i < end; ++i)
    n *= t->shape[i];
  return n;
}

} // namespace

extern "C" mfrt_status mfrt_comm_barrier(mfrt_comm_group *group) {
  const char *fn = "mfrt_comm_barrier";
  ArgChecker check(fn);
  if (!checkGroup(check, group))
    return check.status();
  mfrt_status s;
  {
    WatchdogScope watch("barrier", group);
    s = mpiCheck(MPI_Barrier(group->comm), fn, group, "MPI_Barrier");
  }
  if (s == MFRT_OK)
    record(group, MFRT_COMM_BARRIER, 0, 0);
  return s;
}

extern "C" mfrt_status mfrt_comm_all_reduce(mfrt_comm_group *group,
                                            const mfrt_tensor *in,
                                            const mfrt_tensor *out,
                                            mfrt_reduce_op op) {
  const char *fn = "mfrt_comm_all_reduce";
  ArgChecker check(fn);
  bool unsupported = false;
  if (!checkGroup(check, group) || !check.tensor(out, "out") ||
      (in && !check.tensor(in, "in")) ||
      !checkReduce(check, op, out->dtype, &unsupported))
    return checkStatus(check, unsupported);
  if (!checkAllReduceInput(check, in, out))
    return check.status();
  bool inPlace = !in || in->data == out->data;
  int count;
  if (!toIntCount(numel(out), fn, "out", &count))
    return MFRT_ERROR_UNSUPPORTED;

  mfrt_status s = consistentAllReduce(group, fn, out, op);
  if (s != MFRT_OK)
    return s;
  {
    WatchdogScope watch("all_reduce", group);
    s = mpiCheck(MPI_Allreduce(inPlace ? MPI_IN_PLACE : dataOrDummy(in),
                               dataOrDummy(out), count, mpiType(out->dtype),
                               mpiOp(op), group->comm),
                 fn, group, "MPI_Allreduce");
  }
  if (s != MFRT_OK)
    return s;
  if (enumValue(op) == MFRT_REDUCE_AVG)
    scaleDown(out, group->size);
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
  if (!checkGroup(check, group) || !check.tensor(in, "in") ||
      !check.tensor(out, "out") ||
      !checkAllGatherArgs(check, in, out, dim, group->size))
    return check.status();
  int32_t d = static_cast<int32_t>(dim);
  int64_t n = group->size;
  int count;
  if (!toIntCount(numel(in), fn, "in", &count))
    return MFRT_ERROR_UNSUPPORTED;

  mfrt_status s = consistentAllGather(group, fn, in, dim);
  if (s != MFRT_OK)
    return s;

  int64_t outer = extent(in, 0, d);
  MPI_Datatype type = mpiType(in->dtype);
  if (outer == 1 || n == 1 || count == 0) {
    // Member blocks are contiguous in out: gather straight into it.
    WatchdogScope watch("all_gather", group);
    s = mpiCheck(MPI_Allgather(dataOrDummy(in), count, type, dataOrDummy(out),
                               count, type, group->comm),
                 fn, group, "MPI_Allgather");
  } else {
    // out is [outer][member][block]; MPI delivers [member][outer][block].
    int64_t block = bytesOf(in) / outer;
    Buffer<char> scratch(bytesOf(out));
    if (!scratch.ok())
      return outOfMemory(fn);
    {
      WatchdogScope watch("all_gather", group);
      s = mpiCheck(MPI_Allgather(dataOrDummy(in), count, type, scratch.data(),
                                 count, type, group->comm),
                   fn, group, "MPI_Allgather");
    }
    if (s == MFRT_OK) {
      char *dst = static_cast<char *>(out->data);
      for (int64_t m = 0; m < n; ++m)
        for (int64_t o = 0; o < outer; ++o)
          std::memcpy(dst + (o * n + m) * block,
                      scratch.data() + (m * outer + o) * block,
                      static_cast<size_t>(block));
    }
  }
  if (s != MFRT_OK)
    return s;
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
  bool unsupported = false;
  if (!checkGroup(check, group) || !check.tensor(in, "in") ||
      !check.tensor(out, "out") ||
      !checkReduce(check, op, in->dtype, &unsupported))
    return checkStatus(check, unsupported);
  if (!checkReduceScatterArgs(check, in, out, dim, group->size))
    return check.status();
  int32_t d = static_cast<int32_t>(dim);
  int64_t n = group->size;
  int count;
  if (!toIntCount(numel(in), fn, "in", &count))
    return MFRT_ERROR_UNSUPPORTED;
  count /= static_cast<int>(n);

  mfrt_status s = consistentReduceScatter(group, fn, in, dim, op);
  if (s != MFRT_OK)
    return s;

  int64_t outer = extent(in, 0, d);
  MPI_Datatype type = mpiType(in->dtype);
  const void *src = dataOrDummy(in);
  bool direct = outer == 1 || n == 1 || count == 0;
  Buffer<char> scratch(direct ? 0 : bytesOf(in));
  if (!scratch.ok())
    return outOfMemory(fn);
  if (!direct) {
    // in is [outer][member][block]; MPI wants [member][outer][block].
    int64_t block = bytesOf(out) / outer;
    const char *from = static_cast<const char *>(in->data);
    for (int64_t m = 0; m < n; ++m)
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(scratch.data() + (m * outer + o) * block,
                    from + (o * n + m) * block, static_cast<size_t>(block));
    src = scratch.data();
  }
  {
    WatchdogScope watch("reduce_scatter", group);
    s = mpiCheck(MPI_Reduce_scatter_block(src, dataOrDummy(out), count, type,
                                          mpiOp(op), group->comm),
                 fn, group, "MPI_Reduce_scatter_block");
  }
  if (s != MFRT_OK)
    return s;
  if (enumValue(op) == MFRT_REDUCE_AVG)
    scaleDown(out, n);
  int64_t bytes = byteModel::reduceScatter(n, bytesOf(out));
  record(group, MFRT_COMM_REDUCE_SCATTER, bytes, bytes);
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_comm_broadcast(mfrt_comm_group *group,
                                           const mfrt_tensor *t, int64_t root) {
  const char *fn = "mfrt_comm_broadcast";
  ArgChecker check(fn);
  if (!checkGroup(check, group) || !check.tensor(t, "t") ||
      !checkRoot(check, root, group->size))
    return check.status();
  int count;
  if (!toIntCount(numel(t), fn, "t", &count))
    return MFRT_ERROR_UNSUPPORTED;

  mfrt_status s = consistentBroadcast(group, fn, t, root);
  if (s != MFRT_OK)
    return s;
  {
    WatchdogScope watch("broadcast", group);
    s = mpiCheck(MPI_Bcast(dataOrDummy(t), count, mpiType(t->dtype),
                           static_cast<int>(root), group->comm),
                 fn, group, "MPI_Bcast");
  }
  if (s != MFRT_OK)
    return s;
  int64_t bytes = byteModel::broadcast(group->size, bytesOf(t));
  bool isRoot = group->rank == root;
  record(group, MFRT_COMM_BROADCAST, isRoot ? bytes : 0, isRoot ? 0 : bytes);
  return MFRT_OK;
}
