/*===- mfrt_rng.h - counter-based parameter initialisation ---------------===*
 *
 * Parameters are initialised from Philox-4x32-10 keyed by the seed, with
 * the 128-bit counter (global element index, parameter id). Element i of a
 * parameter depends only on (seed, param_id, i), where i is the row-major
 * index in the GLOBAL shape, so a rank that owns a slice of a parameter
 * initialises exactly the values the single-rank run has in that slice.
 *
 * Per element, one Philox block (four 32-bit words r0..r3) is drawn:
 *   u  = ((r0 >> 5) * 2^26 + (r1 >> 6)) * 2^-53            in [0, 1)
 *   u2 = ((r2 >> 5) * 2^26 + (r3 >> 6)) * 2^-53
 *   uniform(lo, hi) = lo + (hi - lo) * u
 *   normal(mean, std) = mean + std * sqrt(-2 ln(1 - u)) * cos(2 pi u2)
 * computed in double and rounded once to the destination dtype.
 *===----------------------------------------------------------------------===*/

#ifndef MOEFOLD_RUNTIME_MFRT_RNG_H
#define MOEFOLD_RUNTIME_MFRT_RNG_H

#include "moefold_runtime/mfrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One Philox-4x32-10 block: out = philox(counter, key). */
void mfrt_philox4x32_10(const uint32_t counter[4], const uint32_t key[2],
                        uint32_t out[4]);

/* The local tensor `out` (F32 or F64, rank r) is the slice
 * [slice_offsets[i], slice_offsets[i] + out->shape[i]) of a parameter of
 * shape global_shape[0..r). global_shape NULL: the global shape is out's
 * (an unsharded parameter); slice_offsets NULL: all zero. */
mfrt_status mfrt_init_normal(const mfrt_tensor *out,
                             const int64_t *global_shape,
                             const int64_t *slice_offsets, uint64_t seed,
                             uint64_t param_id, double mean, double std);
/* N(mean, std^2) restricted to [mean - 2 std, mean + 2 std]: the element's
 * normal draw when inside, else redrawn with key word 1 advanced by
 * attempt * 0x85EBCA6B (attempt = 1, 2, ...; clamped after 64 attempts). */
mfrt_status mfrt_init_truncated_normal(const mfrt_tensor *out,
                                       const int64_t *global_shape,
                                       const int64_t *slice_offsets,
                                       uint64_t seed, uint64_t param_id,
                                       double mean, double std);
mfrt_status mfrt_init_uniform(const mfrt_tensor *out,
                              const int64_t *global_shape,
                              const int64_t *slice_offsets, uint64_t seed,
                              uint64_t param_id, double low, double high);
/* Every element of `out` (F32 or F64) set to `value`. */
mfrt_status mfrt_init_constant(const mfrt_tensor *out, double value);
mfrt_status mfrt_init_zeros(const mfrt_tensor *out);
mfrt_status mfrt_init_ones(const mfrt_tensor *out);

/* Raw-pointer forms: `out` holds prod(local_shape[0..rank)) elements. */
mfrt_status mfrt_init_normal_f32(float *out, int32_t rank,
                                 const int64_t *global_shape,
                                 const int64_t *slice_offsets,
                                 const int64_t *local_shape, uint64_t seed,
                                 uint64_t param_id, float std);
mfrt_status mfrt_init_normal_f64(double *out, int32_t rank,
                                 const int64_t *global_shape,
                                 const int64_t *slice_offsets,
                                 const int64_t *local_shape, uint64_t seed,
                                 uint64_t param_id, double std);

#ifdef __cplusplus
}
#endif

#endif /* MOEFOLD_RUNTIME_MFRT_RNG_H */
