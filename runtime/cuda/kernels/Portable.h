//===- Portable.h - one kernel source for the device and its emulation ---===//
//
// Every kernel of the cuda backend is written once, as a per-element or
// per-row body marked MFRT_HD, and launched through forEach / forEachRow.
// Compiled by nvcc (moefold_runtime_cuda) the launchers are grid-stride
// kernels on the process's compute stream; compiled by the host compiler
// (moefold_runtime_cuda_emulated) they are loops. The arithmetic a test
// checks in emulation is therefore the arithmetic the GPU runs; what only a
// GPU can check is the launch itself (docs/gpu.md lists it).
//
// Storage types: float, double and bf16 (below). Every kernel loads through
// toFloat/toDouble-style converters and accumulates in float (f32, bf16) or
// double (f64): Acc<T>.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_CUDA_KERNELS_PORTABLE_H
#define MOEFOLD_RUNTIME_CUDA_KERNELS_PORTABLE_H

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#define MFRT_HD __host__ __device__
#define MFRT_DEVICE_BUILD 1
#else
#define MFRT_HD
#define MFRT_DEVICE_BUILD 0
#endif

namespace mfrt::gpu {

//===----------------------------------------------------------------------===//
// bf16 storage
//===----------------------------------------------------------------------===//

/// bfloat16 as stored: the upper 16 bits of an IEEE binary32. Conversions
/// round to nearest even (NaN stays a quiet NaN), the same on both builds.
struct bf16 {
  uint16_t bits;
};

MFRT_HD inline float bf16ToFloat(bf16 v) {
  uint32_t u = uint32_t(v.bits) << 16;
  float f;
#if MFRT_DEVICE_BUILD && defined(__CUDA_ARCH__)
  f = __uint_as_float(u);
#else
  std::memcpy(&f, &u, 4);
#endif
  return f;
}

MFRT_HD inline bf16 floatToBf16(float f) {
  uint32_t u;
#if MFRT_DEVICE_BUILD && defined(__CUDA_ARCH__)
  u = __float_as_uint(f);
#else
  std::memcpy(&u, &f, 4);
#endif
  if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu))
    return bf16{uint16_t((u >> 16) | 0x40)}; // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);           // round to nearest even
  return bf16{uint16_t(u >> 16)};
}

/// The accumulation type of a storage type.
template <typename T> struct AccOf {
  using type = float;
};
template <> struct AccOf<double> {
  using type = double;
};
template <typename T> using Acc = typename AccOf<T>::type;

/// Load a stored element as its accumulation type; store back with rounding.
MFRT_HD inline float load(const float *p, int64_t i) { return p[i]; }
MFRT_HD inline double load(const double *p, int64_t i) { return p[i]; }
MFRT_HD inline float load(const bf16 *p, int64_t i) { return bf16ToFloat(p[i]); }
MFRT_HD inline void store(float *p, int64_t i, float v) { p[i] = v; }
MFRT_HD inline void store(double *p, int64_t i, double v) { p[i] = v; }
MFRT_HD inline void store(bf16 *p, int64_t i, float v) {
  p[i] = floatToBf16(v);
}

//===----------------------------------------------------------------------===//
// Launchers
//===----------------------------------------------------------------------===//

#if MFRT_DEVICE_BUILD
/// The process's compute stream (Context.cu).
cudaStream_t computeStream();

template <typename F> __global__ void forEachKernel(int64_t n, F f) {
  int64_t stride = int64_t(blockDim.x) * gridDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride)
    f(i);
}

/// f(i) for i in [0, n), in any order and concurrently: f must write only
/// what index i owns.
template <typename F> void forEach(int64_t n, F f) {
  if (n <= 0)
    return;
  constexpr int kThreads = 256;
  int64_t blocks = (n + kThreads - 1) / kThreads;
  if (blocks > 65535 * 8)
    blocks = 65535 * 8;
  forEachKernel<<<unsigned(blocks), kThreads, 0, computeStream()>>>(n, f);
}
#else
template <typename F> void forEach(int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i)
    f(i);
}
#endif

/// f(row) for each row: one thread owns a whole row (reductions over the row
/// run sequentially in that thread, in the same order on both builds).
template <typename F> void forEachRow(int64_t rows, F f) { forEach(rows, f); }

} // namespace mfrt::gpu

#endif // MOEFOLD_RUNTIME_CUDA_KERNELS_PORTABLE_H
