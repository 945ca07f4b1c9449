//===- MemRef.h - MLIR memref descriptors as runtime tensors ----*- C++ -*-===//
//
// Compiled programs pass every buffer as an unranked memref: two C arguments,
// the rank and a pointer to the ranked descriptor
//
//   struct { T *allocated; T *aligned; int64_t offset;
//            int64_t sizes[rank]; int64_t strides[rank]; }
//
// (MLIR's standard LLVM lowering of memref<*xT>). The shims turn them into
// mfrt_tensor views of the same memory.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_MLIR_ABI_MEMREF_H
#define MOEFOLD_RUNTIME_MLIR_ABI_MEMREF_H

#include "moefold_runtime/mfrt.h"

#include <cstdint>

namespace mfrt::mlir_abi {

/// The ranked descriptor an unranked memref points at.
struct RankedDescriptor {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizesAndStrides[1]; // sizes[rank] then strides[rank]
};

/// Views the memref (rank, desc) with element type `dtype` as a tensor.
/// Returns false (and fills `why`) when the rank exceeds MFRT_MAX_RANK, the
/// descriptor is NULL, or the layout is not contiguous row-major.
bool viewMemRef(int64_t rank, void *desc, mfrt_dtype dtype, mfrt_tensor *out,
                char *why, size_t whySize);

/// Prints "moefold runtime: <op>: <message>" to stderr and exits with
/// status 1. Used for every failure inside a compiled program, where there is
/// no caller to return an error to.
[[noreturn]] void fatal(const char *op, const char *message);

} // namespace mfrt::mlir_abi

#endif // MOEFOLD_RUNTIME_MLIR_ABI_MEMREF_H
