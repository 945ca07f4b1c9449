//===- MemRef.cpp - MLIR memref descriptors as runtime tensors ------------===//

#include "MemRef.h"

#include <cstdio>
#include <cstdlib>

namespace mfrt::mlir_abi {

bool viewMemRef(int64_t rank, void *desc, mfrt_dtype dtype, mfrt_tensor *out,
                char *why, size_t whySize) {
  if (!desc) {
    std::snprintf(why, whySize, "NULL memref descriptor");
    return false;
  }
  if (rank < 0 || rank > MFRT_MAX_RANK) {
    std::snprintf(why, whySize, "memref rank %lld outside [0, %d]",
                  static_cast<long long>(rank), MFRT_MAX_RANK);
    return false;
  }
  auto *d = static_cast<RankedDescriptor *>(desc);
  const int64_t *sizes = d->sizesAndStrides;
  const int64_t *strides = d->sizesAndStrides + rank;
  // Row-major contiguity; extents of 1 may carry any stride.
  int64_t expected = 1;
  for (int64_t i = rank - 1; i >= 0; --i) {
    if (sizes[i] != 1 && strides[i] != expected) {
      std::snprintf(why, whySize,
                    "memref is not contiguous row-major (dimension %lld has "
                    "stride %lld, expected %lld)",
                    static_cast<long long>(i),
                    static_cast<long long>(strides[i]),
                    static_cast<long long>(expected));
      return false;
    }
    expected *= sizes[i];
  }
  out->data = static_cast<char *>(d->aligned) +
              d->offset * static_cast<int64_t>(mfrt_dtype_size(dtype));
  out->dtype = dtype;
  out->rank = static_cast<int32_t>(rank);
  for (int64_t i = 0; i < rank; ++i)
    out->shape[i] = sizes[i];
  return true;
}

void fatal(const char *op, const char *message) {
  std::fflush(stdout);
  std::fprintf(stderr, "moefold runtime: %s: %s\n", op, message);
  std::exit(1);
}

} // namespace mfrt::mlir_abi
