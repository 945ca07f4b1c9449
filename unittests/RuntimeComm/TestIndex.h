//===- TestIndex.h - row-major index helpers of the comm tests -*- C++ -*-===//
//
// Shared by the MPI and NCCL backend tests (and the NCCL plan tests): they
// compute expected gathers and scatters element by element.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_UNITTESTS_RUNTIMECOMM_TESTINDEX_H
#define MOEFOLD_UNITTESTS_RUNTIMECOMM_TESTINDEX_H

#include <cstdint>
#include <vector>

namespace comm_test {

/// Flat row-major index -> multi-index of `shape`.
inline std::vector<int64_t> unflatten(int64_t flat,
                                      const std::vector<int64_t> &shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    idx[i] = flat % shape[i];
    flat /= shape[i];
  }
  return idx;
}

/// Multi-index of `shape` -> flat row-major index.
inline int64_t flatten(const std::vector<int64_t> &idx,
                       const std::vector<int64_t> &shape) {
  int64_t flat = 0;
  for (size_t i = 0; i < shape.size(); ++i)
    flat = flat * shape[i] + idx[i];
  return flat;
}

} // namespace comm_test

#endif // MOEFOLD_UNITTESTS_RUNTIMECOMM_TESTINDEX_H
