//===- Collectives.cpp - all_reduce, all_gather, reduce_scatter, ... ------===//
//
// Dense collectives over a group's communicator. MPI concatenates along the
// leading dimension only; a gather or scatter along an inner dimension packs
// (reduce_scatter) or unpacks (all_gather) through a scratch buffer laid out
// [member][outer][block].
//
//===----------------------------------------------------------------------===//

#include "Collectives.h"

#include <climits>
#include <cstdio>
#include <cstdarg>
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

/// "f32 [4, 3]" followed by the printf-style `suffix` (e.g. " dim=1"), for
/// messages that compare a collective's arguments across ranks.
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
  int count;
  if (!toIntCount(numel(out), fn, "out", &count))
    return MFRT_ERROR_UNSUPPORTED;

  char what[320];
  describe(out, what, sizeof(what), " op=%s",
           opName(op));
  mfrt_status s = checkConsistent(
      group, fn,
      Signature().add(MFRT_COMM_ALL_REDUCE).addShape(out).add(enumValue(op)),
      what);
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
      !check.tensor(out, "out") || !checkDim(check, in, "in", dim))
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
  int count;
  if (!toIntCount(numel(in), fn, "in", &count))
    return MFRT_ERROR_UNSUPPORTED;

  char what[320];
  describe(in, what, sizeof(what), " dim=%lld",
           static_cast<long long>(dim));
  mfrt_status s = checkConsistent(
      group, fn, Signature().add(MFRT_COMM_ALL_GATHER).addShape(in).add(dim),
      what);
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
  if (!checkDim(check, in, "in", dim))
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
  int count;
  if (!toIntCount(numel(in), fn, "in", &count))
    return MFRT_ERROR_UNSUPPORTED;
  count /= static_cast<int>(n);

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
  if (!checkGroup(check, group) || !check.tensor(t, "t"))
    return check.status();
  if (root < 0 || root >= group->size) {
    check.fail("root: %lld is outside the group positions [0, %lld)",
               static_cast<long long>(root),
               static_cast<long long>(group->size));
    return check.status();
  }
  int count;
  if (!toIntCount(numel(t), fn, "t", &count))
    return MFRT_ERROR_UNSUPPORTED;

  char what[320];
  describe(t, what, sizeof(what), " root=%lld",
           static_cast<long long>(root));
  mfrt_status s = checkConsistent(
      group, fn, Signature().add(MFRT_COMM_BROADCAST).addShape(t).add(root),
      what);
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
