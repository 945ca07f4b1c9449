//===- MoeSupport.h - shared pieces of the routing and expert kernels ----===//
//
// Device-side index validation (a flag lowered with atomicMin, read back
// once), the expert-sorted permutation (a stable counting sort on the
// device, the CPU backend's order), and the scalar activations the routing
// and expert kernels share. docs/gpu-moe-kernels.md describes the design.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_CUDA_OPS_MOESUPPORT_H
#define MOEFOLD_RUNTIME_CUDA_OPS_MOESUPPORT_H

#include "OpSupport.h"

#include <math.h>

namespace mfrt::gpu::moe {

//===----------------------------------------------------------------------===//
// Scalars
//===----------------------------------------------------------------------===//

MFRT_HD inline float expAcc(float x) { return expf(x); }
MFRT_HD inline double expAcc(double x) { return exp(x); }

/// The CPU backend's numerically stable logistic function (cpu/Math.h).
template <typename A> MFRT_HD inline A sigmoid(A x) {
  if (x >= A(0))
    return A(1) / (A(1) + expAcc(-x));
  A e = expAcc(x);
  return e / (A(1) + e);
}
template <typename A> MFRT_HD inline A silu(A x) { return x * sigmoid(x); }
/// d silu / dx = s (1 + x (1 - s)).
template <typename A> MFRT_HD inline A siluGrad(A x) {
  A s = sigmoid(x);
  return s * (A(1) + x * (A(1) - s));
}

/// *p = min(*p, v), atomically on the device.
MFRT_HD inline void atomicMinI32(int32_t *p, int32_t v) {
#if defined(__CUDA_ARCH__)
  atomicMin(reinterpret_cast<int *>(p), int(v));
#else
  if (v < *p)
    *p = v;
#endif
}

//===----------------------------------------------------------------------===//
// Device-side validation
//===----------------------------------------------------------------------===//

/// One device int that kernels lower with atomicMinI32 to report the first
/// offending position; read() brings it back (the entry point's one
/// synchronisation when it validates data).
class DeviceMin {
public:
  /// Allocates the flag and sets it to `initial` (on the stream, no sync).
  mfrt_status init(const char *fn, int32_t initial);
  int32_t *get() const { return buf_.as<int32_t>(); }
  mfrt_status read(int32_t &out) const;

private:
  Scratch buf_;
};

/// Every i32 of `indices` in [0, numExperts), checked on the device; on
/// failure the CPU backend's message naming the first offending position.
/// Also rejects more than INT32_MAX entries (rows are i32).
bool checkIndices(ArgChecker &a, const mfrt_tensor *indices,
                  int64_t numExperts);

//===----------------------------------------------------------------------===//
// The expert-sorted permutation
//===----------------------------------------------------------------------===//

/// rows[i]: the position of flat copy i = t*K + k after a stable sort of all
/// copies by expert id; counts[e]: the copies of expert e. Built on the
/// device from validated indices, without atomics: per-chunk histograms, a
/// per-expert scan over chunks, then each chunk places its copies in order.
class Permutation {
public:
  mfrt_status build(const char *fn, const mfrt_tensor *indices,
                    int64_t numExperts);
  const int32_t *rows() const { return rows_.as<int32_t>(); }
  const int32_t *counts() const { return counts_.as<int32_t>(); }

private:
  Scratch rows_, counts_, table_;
};

} // namespace mfrt::gpu::moe

#endif // MOEFOLD_RUNTIME_CUDA_OPS_MOESUPPORT_H
