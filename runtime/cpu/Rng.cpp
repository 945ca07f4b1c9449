//===- Rng.cpp - Philox-4x32-10 parameter initialisation ------------------===//
//
// Philox-4x32-10 as in Salmon et al., "Parallel random numbers: as easy as
// 1, 2, 3" (SC'11) / Random123. Each element draws the block at counter
// (global index lo, hi, param id lo, hi) under key (seed lo, hi).
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_rng.h"

#include "../src/Support.h"

#include <cmath>

using namespace mfrt;

extern "C" void mfrt_philox4x32_10(const uint32_t counter[4],
                                   const uint32_t key[2], uint32_t out[4]) {
  const uint32_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;
  const uint32_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;
  uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = uint64_t(m0) * c0, p1 = uint64_t(m1) * c2;
    uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
    uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += w0;
    k1 += w1;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

namespace {

enum class Dist { Normal, Uniform, TruncatedNormal };

inline double unit53(uint32_t a, uint32_t b) {
  return (double(a >> 5) * 67108864.0 + double(b >> 6)) *
         (1.0 / 9007199254740992.0);
}

inline double draw(Dist dist, uint64_t seed, uint64_t pid, uint64_t index,
                   double p0, double p1) {
  uint32_t ctr[4] = {uint32_t(index), uint32_t(index >> 32), uint32_t(pid),
                     uint32_t(pid >> 32)};
  uint32_t key[2] = {uint32_t(seed), uint32_t(seed >> 32)};
  uint32_t r[4];
  mfrt_philox4x32_10(ctr, key, r);
  double u = unit53(r[0], r[1]);
  if (dist == Dist::Uniform)
    return p0 + (p1 - p0) * u;
  const double twoPi = 6.283185307179586476925286766559;
  double u2 = unit53(r[2], r[3]);
  double z = std::sqrt(-2.0 * std::log(1.0 - u)) * std::cos(twoPi * u2);
  if (dist == Dist::TruncatedNormal) {
    // Redraw outside [-2, 2]: attempt a uses key word 1 + a * 0x85EBCA6B
    // (attempt 0 is the plain normal draw). After 64 attempts (probability
    // 0.0455^64) the last draw is clamped.
    for (uint32_t attempt = 1; std::fabs(z) > 2.0 && attempt < 64; ++attempt) {
      key[1] = uint32_t(seed >> 32) + attempt * 0x85EBCA6Bu;
      mfrt_philox4x32_10(ctr, key, r);
      u = unit53(r[0], r[1]);
      u2 = unit53(r[2], r[3]);
      z = std::sqrt(-2.0 * std::log(1.0 - u)) * std::cos(twoPi * u2);
    }
    z = z > 2.0 ? 2.0 : (z < -2.0 ? -2.0 : z);
  }
  return p0 + p1 * z;
}

mfrt_status initRandom(const char *fn, const mfrt_tensor *out,
                       const int64_t *globalShape, const int64_t *offsets,
                       uint64_t seed, uint64_t pid, Dist dist, double p0,
                       double p1) {
  ArgChecker a(fn);
  if (!a.floatTensor(out, "out"))
    return a.status();
  if (!std::isfinite(p0) || !std::isfinite(p1)) {
    a.fail("distribution parameters must be finite (got %g, %g)", p0, p1);
    return a.status();
  }
  int32_t r = out->rank;
  int64_t global[MFRT_MAX_RANK], off[MFRT_MAX_RANK], stride[MFRT_MAX_RANK];
  for (int32_t i = 0; i < r; ++i) {
    global[i] = globalShape ? globalShape[i] : out->shape[i];
    off[i] = offsets ? offsets[i] : 0;
    if (global[i] < 0 || off[i] < 0 || out->shape[i] > global[i] ||
        off[i] > global[i] - out->shape[i]) {
      a.fail("slice: dimension %d: offset %lld + extent %lld exceeds the "
             "global extent %lld",
             i, static_cast<long long>(off[i]),
             static_cast<long long>(out->shape[i]),
             static_cast<long long>(global[i]));
      return a.status();
    }
  }
  int64_t s = 1;
  for (int32_t i = r - 1; i >= 0; --i) {
    stride[i] = s;
    if (global[i] != 0 && s > INT64_MAX / global[i]) {
      a.fail("global_shape: element count overflows");
      return a.status();
    }
    s *= global[i];
  }
  int64_t n = numel(out);
  if (n == 0)
    return MFRT_OK;
  int64_t last = r ? out->shape[r - 1] : 1;
  int64_t idx[MFRT_MAX_RANK] = {0}; // local multi-index of the current run
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    T *dst = ptr<T>(out);
    for (int64_t base = 0; base < n; base += last) {
      // Global index of the run's first element.
      int64_t g = 0;
      for (int32_t i = 0; i < r; ++i)
        g += (off[i] + idx[i]) * stride[i];
      for (int64_t j = 0; j < last; ++j)
        dst[base + j] = T(draw(dist, seed, pid, uint64_t(g + j), p0, p1));
      // Advance the multi-index over all but the last dimension.
      for (int32_t i = r - 2; i >= 0; --i) {
        if (++idx[i] < out->shape[i])
          break;
        idx[i] = 0;
      }
    }
    return MFRT_OK;
  });
}

mfrt_tensor rawTensor(void *data, mfrt_dtype dtype, int32_t rank,
                      const int64_t *shape) {
  mfrt_tensor t{};
  t.data = data;
  t.dtype = dtype;
  t.rank = rank;
  for (int32_t i = 0; shape && i < rank && i < MFRT_MAX_RANK; ++i)
    t.shape[i] = shape[i];
  return t;
}

} // namespace

extern "C" mfrt_status mfrt_init_normal(const mfrt_tensor *out,
                                        const int64_t *global_shape,
                                        const int64_t *slice_offsets,
                                        uint64_t seed, uint64_t param_id,
                                        double mean, double std) {
  return initRandom("mfrt_init_normal", out, global_shape, slice_offsets,
                    seed, param_id, Dist::Normal, mean, std);
}

extern "C" mfrt_status mfrt_init_truncated_normal(
    const mfrt_tensor *out, const int64_t *global_shape,
    const int64_t *slice_offsets, uint64_t seed, uint64_t param_id,
    double mean, double std) {
  return initRandom("mfrt_init_truncated_normal", out, global_shape,
                    slice_offsets, seed, param_id, Dist::TruncatedNormal,
                    mean, std);
}

extern "C" mfrt_status mfrt_init_uniform(const mfrt_tensor *out,
                                         const int64_t *global_shape,
                                         const int64_t *slice_offsets,
                                         uint64_t seed, uint64_t param_id,
                                         double low, double high) {
  return initRandom("mfrt_init_uniform", out, global_shape, slice_offsets,
                    seed, param_id, Dist::Uniform, low, high);
}

extern "C" mfrt_status mfrt_init_constant(const mfrt_tensor *out,
                                          double value) {
  ArgChecker a("mfrt_init_constant");
  if (!a.floatTensor(out, "out"))
    return a.status();
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < numel(out); ++i)
      ptr<T>(out)[i] = T(value);
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_init_zeros(const mfrt_tensor *out) {
  return mfrt_init_constant(out, 0.0);
}

extern "C" mfrt_status mfrt_init_ones(const mfrt_tensor *out) {
  return mfrt_init_constant(out, 1.0);
}

static mfrt_status initNormalRaw(const char *fn, void *out, mfrt_dtype dtype,
                                 int32_t rank, const int64_t *globalShape,
                                 const int64_t *offsets,
                                 const int64_t *localShape, uint64_t seed,
                                 uint64_t pid, double std) {
  if (rank < 0 || rank > MFRT_MAX_RANK || (rank > 0 && !localShape))
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "%s: rank %d outside [0, %d] or NULL local_shape", fn,
                    rank, MFRT_MAX_RANK);
  mfrt_tensor t = rawTensor(out, dtype, rank, localShape);
  return initRandom(fn, &t, globalShape, offsets, seed, pid, Dist::Normal,
                    0.0, std);
}

extern "C" mfrt_status
mfrt_init_normal_f32(float *out, int32_t rank, const int64_t *global_shape,
                     const int64_t *slice_offsets, const int64_t *local_shape,
                     uint64_t seed, uint64_t param_id, float std) {
  return initNormalRaw("mfrt_init_normal_f32", out, MFRT_F32, rank,
                       global_shape, slice_offsets, local_shape, seed,
                       param_id, std);
}

extern "C" mfrt_status
mfrt_init_normal_f64(double *out, int32_t rank, const int64_t *global_shape,
                     const int64_t *slice_offsets, const int64_t *local_shape,
                     uint64_t seed, uint64_t param_id, double std) {
  return initNormalRaw("mfrt_init_normal_f64", out, MFRT_F64, rank,
                       global_shape, slice_offsets, local_shape, seed,
                       param_id, std);
}
