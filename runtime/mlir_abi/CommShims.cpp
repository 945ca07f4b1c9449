//===- CommShims.cpp - the mfrt_mlir_* entry points of spmd collectives ---===//
//
// moe-lower-to-runtime turns every spmd collective and every spmd.convert
// that moves data into one call
//
//   mfrt_mlir_<what>_<dtype>(int64_t group, buffers..., attributes...)
//
// where `group` is the id of a group table the program registered
// (mfrt_register_group_table; docs/multi-rank.md) and every buffer is an
// unranked memref (rank and descriptor, see MemRef.h). The driver created one
// communicator per table at start-up (mfrt_comm_create_group with this rank's
// row); a shim finds it by the table's name once and caches it. A failing
// collective aborts the whole job (mfrt_comm_abort): the peers are waiting
// inside the same collective and must not hang.
//
// Element types: f32, f64, i32, i64 (suffix of the name); all_to_all also
// names the element type of its counts (_i32 / _i64).
//
// Built three ways: for cpu programs (moefold_mlir_abi_comm); for cuda
// programs with MPI (moefold_mlir_abi_comm_cuda: MFRT_MLIR_ABI_CUDA and
// MFRT_COMM_STAGED, each collective's operands copied to host buffers and its
// result back); for cuda programs with NCCL (moefold_mlir_abi_comm_nccl: the
// collectives take the device buffers). The block copies of spmd.convert
// move buffer memory through BufferMemory.h in every build.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_comm.h"
#include "moefold_runtime/mfrt_registry.h"

#include "BufferMemory.h"
#include "MemRef.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace mfrt::mlir_abi;

namespace {

[[noreturn]] void commFatal(const char *op, const std::string &message) {
  std::string text = std::string("moefold runtime: ") + op + ": " + message;
  if (mfrt_comm_initialized())
    mfrt_comm_abort(1, text.c_str());
  fatal(op, message.c_str());
}

/// The communicator of group table `id`, created by the driver.
mfrt_comm_group *groupOf(const char *op, int64_t id) {
  static std::vector<mfrt_comm_group *> cache;
  if (id >= 0 && id < static_cast<int64_t>(cache.size()) && cache[id])
    return cache[id];
  const mfrt_group_table *table = mfrt_registry_group_table(id);
  if (!table)
    commFatal(op, "group table " + std::to_string(id) +
                      " was not registered by moefold_register");
  mfrt_comm_group *g = mfrt_comm_find_group(table->name);
  if (!g)
    commFatal(op, std::string("group '") + table->name +
                      "' has no communicator (the driver creates one per "
                      "registered group table at start-up)");
  if (static_cast<int64_t>(cache.size()) <= id)
    cache.resize(id + 1, nullptr);
  cache[id] = g;
  return g;
}

const mfrt_tensor *view(const char *op, int64_t rank, void *desc,
                        mfrt_dtype dtype, mfrt_tensor *storage) {
  char why[256];
  if (!viewMemRef(rank, desc, dtype, storage, why, sizeof(why)))
    commFatal(op, why);
  return storage;
}

void check(const char *op, mfrt_status status) {
  if (status != MFRT_OK)
    commFatal(op, mfrt_last_error());
}

#ifdef MFRT_COMM_STAGED
constexpr bool kStaged = true;
#else
constexpr bool kStaged = false;
#endif

/// A collective's operand as the comm backend takes it: the buffer itself,
/// or (staged builds: MPI in a device program) a host copy of it; an input
/// is copied in, an output copied back by writeBack().
class Operand {
public:
  Operand(const char *op, int64_t rank, void *desc, mfrt_dtype dtype,
          bool input)
      : op_(op) {
    view(op, rank, desc, dtype, &buffer_);
    if (!kStaged)
      return;
    host_ = buffer_;
    bytes_.resize(size_t(mfrt_tensor_numel(&buffer_)) * mfrt_dtype_size(dtype));
    host_.data = bytes_.data();
    if (input)
      check(op, bufferToHost(host_.data, buffer_.data, bytes_.size()));
  }
  const mfrt_tensor *get() const { return kStaged ? &host_ : &buffer_; }
  void writeBack() {
    if (kStaged)
      check(op_, hostToBuffer(buffer_.data, host_.data, bytes_.size()));
  }

private:
  const char *op_;
  mfrt_tensor buffer_{}, host_{};
  std::vector<char> bytes_;
};

/// Block `pos` of `n` along `dim` of `big` <-> `small` (the same shape but
/// `dim`, which is n times smaller): copy into `small` (toSmall) or into the
/// matching block of `big`.
void copyBlock(const char *op, const mfrt_tensor *big, const mfrt_tensor *small,
               int64_t dim, int64_t pos, int64_t n, bool toSmall) {
  if (big->rank != small->rank || dim < 0 || dim >= big->rank ||
      big->shape[dim] != n * small->shape[dim])
    commFatal(op, "operand and result shapes do not match the group size " +
                      std::to_string(n) + " on dim " + std::to_string(dim));
  int64_t outer = 1, inner = int64_t(mfrt_dtype_size(big->dtype));
  for (int64_t d = 0; d < dim; ++d)
    outer *= small->shape[d];
  for (int64_t d = dim + 1; d < small->rank; ++d)
    inner *= small->shape[d];
  int64_t block = small->shape[dim] * inner;
  char *b = static_cast<char *>(big->data);
  char *s = static_cast<char *>(small->data);
  for (int64_t o = 0; o < outer; ++o) {
    char *bp = b + (o * n + pos) * block;
    char *sp = s + o * block;
    if (block == 0)
      continue;
    check(op, toSmall ? bufferToBuffer(sp, bp, size_t(block))
                      : bufferToBuffer(bp, sp, size_t(block)));
  }
}

int64_t countSum(const mfrt_tensor *counts) {
  int64_t n = mfrt_tensor_numel(counts), total = 0;
  std::vector<char> host(size_t(n) * mfrt_dtype_size(counts->dtype));
  check("spmd.all_to_all", bufferToHost(host.data(), counts->data, host.size()));
  for (int64_t i = 0; i < n; ++i)
    total += counts->dtype == MFRT_I64
                 ? reinterpret_cast<const int64_t *>(host.data())[i]
                 : reinterpret_cast<const int32_t *>(host.data())[i];
  return total;
}

} // namespace

#define MR(n) int64_t n##_rank, void *n##_desc
#define M(n) n##_rank, n##_desc

// Defines the shim for one element type: inside the body `T` is the dtype.
#define COMM_SHIM_T(NAME, SUFFIX, DTYPE, PARAMS, ...)                          \
  extern "C" void mfrt_mlir_##NAME##_##SUFFIX PARAMS {                         \
    const mfrt_dtype T = DTYPE;                                                \
    __VA_ARGS__                                                                \
  }
#define COMM_SHIM(NAME, PARAMS, ...)                                           \
  COMM_SHIM_T(NAME, f32, MFRT_F32, PARAMS, __VA_ARGS__)                        \
  COMM_SHIM_T(NAME, f64, MFRT_F64, PARAMS, __VA_ARGS__)                        \
  COMM_SHIM_T(NAME, i32, MFRT_I32, PARAMS, __VA_ARGS__)                        \
  COMM_SHIM_T(NAME, i64, MFRT_I64, PARAMS, __VA_ARGS__)

COMM_SHIM(all_reduce, (int64_t group, MR(in), MR(out), int32_t op),
          const char *name = "spmd.all_reduce";
          Operand a(name, M(in), T, true); Operand b(name, M(out), T, false);
          check(name, mfrt_comm_all_reduce(groupOf(name, group), a.get(),
                                           b.get(),
                                           static_cast<mfrt_reduce_op>(op)));
          b.writeBack();)

COMM_SHIM(all_gather, (int64_t group, MR(in), MR(out), int64_t dim),
          const char *name = "spmd.all_gather";
          Operand a(name, M(in), T, true); Operand b(name, M(out), T, false);
          check(name, mfrt_comm_all_gather(groupOf(name, group), a.get(),
                                           b.get(), dim));
          b.writeBack();)

COMM_SHIM(reduce_scatter,
          (int64_t group, MR(in), MR(out), int64_t dim, int32_t op),
          const char *name = "spmd.reduce_scatter";
          Operand a(name, M(in), T, true); Operand b(name, M(out), T, false);
          check(name, mfrt_comm_reduce_scatter(
                          groupOf(name, group), a.get(), b.get(), dim,
                          static_cast<mfrt_reduce_op>(op)));
          b.writeBack();)

// spmd.convert R -> V / I -> V: this rank's block of `dim`.
COMM_SHIM(local_slice, (int64_t group, MR(in), MR(out), int64_t dim),
          const char *name = "spmd.convert";
          mfrt_comm_group *g = groupOf(name, group); mfrt_tensor a, b;
          copyBlock(name, view(name, M(in), T, &a), view(name, M(out), T, &b),
                    dim, mfrt_comm_group_rank(g), mfrt_comm_group_size(g),
                    /*toSmall=*/true);)

// spmd.convert V -> P: zeros with this rank's block of `dim` filled in.
COMM_SHIM(zero_pad, (int64_t group, MR(in), MR(out), int64_t dim),
          const char *name = "spmd.convert";
          mfrt_comm_group *g = groupOf(name, group); mfrt_tensor a, b;
          const mfrt_tensor *small = view(name, M(in), T, &a);
          const mfrt_tensor *big = view(name, M(out), T, &b);
          check(name, zeroBuffer(big->data, size_t(mfrt_tensor_numel(big)) *
                                                mfrt_dtype_size(T)));
          copyBlock(name, big, small, dim, mfrt_comm_group_rank(g),
                    mfrt_comm_group_size(g), /*toSmall=*/false);)

// spmd.convert R -> P / I -> P: the value on the group's first rank, zero on
// the others (their sum is the value).
COMM_SHIM(
    keep_first, (int64_t group, MR(in), MR(out)),
    const char *name = "spmd.convert";
    mfrt_comm_group *g = groupOf(name, group); mfrt_tensor a, b;
    const mfrt_tensor *src = view(name, M(in), T, &a);
    const mfrt_tensor *dst = view(name, M(out), T, &b);
    size_t bytes = size_t(mfrt_tensor_numel(dst)) * mfrt_dtype_size(T);
    if (mfrt_tensor_numel(src) != mfrt_tensor_numel(dst))
        commFatal(name, "operand and result sizes differ");
    check(name, mfrt_comm_group_rank(g) == 0
                    ? bufferToBuffer(dst->data, src->data, bytes)
                    : zeroBuffer(dst->data, bytes));)

// Ragged all_to_all: the receive buffer's rows are the sum of recv_counts.
#define COUNT_SHIM(CSUFFIX, CTYPE)                                             \
  extern "C" int64_t mfrt_mlir_count_rows_##CSUFFIX(MR(counts)) {              \
    mfrt_tensor c;                                                             \
    return countSum(view("spmd.all_to_all", M(counts), CTYPE, &c));            \
  }
COUNT_SHIM(i32, MFRT_I32)
COUNT_SHIM(i64, MFRT_I64)

#define A2A_SHIM(SUFFIX, DTYPE, CSUFFIX, CTYPE)                                \
  extern "C" void mfrt_mlir_all_to_all_##SUFFIX##_##CSUFFIX(                   \
      int64_t group, MR(in), MR(send_counts), MR(out), MR(recv_counts)) {      \
    const char *name = "spmd.all_to_all";                                      \
    Operand a(name, M(in), DTYPE, true);                                       \
    Operand b(name, M(send_counts), CTYPE, true);                              \
    Operand c(name, M(out), DTYPE, false);                                     \
    Operand d(name, M(recv_counts), CTYPE, true);                              \
    check(name, mfrt_comm_all_to_all(groupOf(name, group), a.get(), b.get(),   \
                                     c.get(), d.get()));                       \
    c.writeBack();                                                             \
  }
#define A2A_SHIMS(CSUFFIX, CTYPE)                                              \
  A2A_SHIM(f32, MFRT_F32, CSUFFIX, CTYPE)                                      \
  A2A_SHIM(f64, MFRT_F64, CSUFFIX, CTYPE)                                      \
  A2A_SHIM(i32, MFRT_I32, CSUFFIX, CTYPE)                                      \
  A2A_SHIM(i64, MFRT_I64, CSUFFIX, CTYPE)
A2A_SHIMS(i32, MFRT_I32)
A2A_SHIMS(i64, MFRT_I64)
