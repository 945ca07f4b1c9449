//===- DenseSupport.h - helpers shared by the dense ops' kernels ---------===//
//
// Scalar maths in the accumulation type, the two atomics the dense kernels
// use (device: hardware atomics; emulation: plain updates, since the
// emulated launch is a sequential loop), and the device-side validation of
// index tensors (token ids, targets, expert ids): the host never reads
// device data, so a kernel records the first offending position in a
// device flag and the host reads back that one word.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_CUDA_OPS_DENSESUPPORT_H
#define MOEFOLD_RUNTIME_CUDA_OPS_DENSESUPPORT_H

#include "OpSupport.h"

#include <math.h>

namespace mfrt::gpu::dense {

MFRT_HD inline float expAcc(float x) { return expf(x); }
MFRT_HD inline double expAcc(double x) { return exp(x); }
MFRT_HD inline float logAcc(float x) { return logf(x); }
MFRT_HD inline double logAcc(double x) { return log(x); }
MFRT_HD inline float sqrtAcc(float x) { return sqrtf(x); }
MFRT_HD inline double sqrtAcc(double x) { return sqrt(x); }

/// Numerically stable logistic function (as runtime/cpu/Math.h).
template <typename A> MFRT_HD inline A sigmoidAcc(A x) {
  if (x >= A(0))
    return A(1) / (A(1) + expAcc(-x));
  A e = expAcc(x);
  return e / (A(1) + e);
}
template <typename A> MFRT_HD inline A siluAcc(A x) {
  return x * sigmoidAcc(x);
}
/// d silu / dx = s (1 + x (1 - s)), s = sigmoid(x).
template <typename A> MFRT_HD inline A siluGradAcc(A x) {
  A s = sigmoidAcc(x);
  return s * (A(1) + x * (A(1) - s));
}

/// *p += v, atomically on the device.
MFRT_HD inline void atomicAddAcc(float *p, float v) {
#if defined(__CUDA_ARCH__)
  atomicAdd(p, v);
#else
  *p += v;
#endif
}
MFRT_HD inline void atomicAddAcc(double *p, double v) {
#if defined(__CUDA_ARCH__)
  atomicAdd(p, v);
#else
  *p += v;
#endif
}

/// *p = min(*p, v), atomically on the device.
MFRT_HD inline void atomicMinIndex(unsigned long long *p,
                                   unsigned long long v) {
#if defined(__CUDA_ARCH__)
  atomicMin(p, v);
#else
  if (v < *p)
    *p = v;
#endif
}

/// Checks on the device that every value of the i32 tensor `idx` lies in
/// [0, bound). On failure records, through `a`, "name: value V at flat
/// position P is outside [0, bound)" for the first offending position (the
/// CPU backend's message) and returns false. Costs one launch and one small
/// device-to-host copy (a host synchronisation).
bool checkIndices(ArgChecker &a, const mfrt_tensor *idx, int64_t bound,
                  const char *name);

/// Copies `n` accumulation values into a tensor of storage type T.
template <typename T>
void storeAll(const Acc<T> *from, T *to, int64_t n) {
  forEach(n, [=] MFRT_HD(int64_t i) { store(to, i, from[i]); });
}

} // namespace mfrt::gpu::dense

#endif // MOEFOLD_RUNTIME_CUDA_OPS_DENSESUPPORT_H
