/*===- mfrt_optim.h - gradient norm, clipping and optimizer kernels ------===*
 *
 * The kernels behind moe.global_norm, moe.clip_scale, moe.sgd_step and
 * moe.adamw_step (docs/design/training-step.md §2). Every float tensor of one
 * call is MFRT_F32 or every one MFRT_F64; arithmetic is done in double and
 * rounded once per stored element, so f32 and f64 runs differ only by that
 * rounding. Scalars (the norm, the clip scale, the learning rate, the step)
 * are passed as doubles; the MLIR shims read them from 0-d buffers.
 *===----------------------------------------------------------------------===*/

#ifndef MOEFOLD_RUNTIME_MFRT_OPTIM_H
#define MOEFOLD_RUNTIME_MFRT_OPTIM_H

#include "moefold_runtime/mfrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* *acc += sum of the squares of every element of g (F32 or F64), accumulated
 * in double in row-major order. A non-finite element makes *acc non-finite. */
mfrt_status mfrt_sum_squares(const mfrt_tensor *g, double *acc);

/* out (one float element) = sqrt(sum over the `count` tensors of the sum of
 * the squares of their elements): the global L2 norm of a list of gradients,
 * each element counted once. count == 0 gives 0. */
mfrt_status mfrt_global_norm(const mfrt_tensor *const *grads, int64_t count,
                             const mfrt_tensor *out);

/* Gradient clipping by global norm (the torch.nn.utils.clip_grad_norm_
 * formula):
 *   apply = norm is finite
 *   scale = min(1, max_norm / (norm + 1e-6))  when max_norm > 0 and apply,
 *           1                                  otherwise.
 * A non-finite norm means "skip this step" (apply = 0). */
mfrt_status mfrt_clip_scale(double norm, double max_norm, double *scale,
                            int32_t *apply);

/* SGD with decoupled weight decay, g' = scale * grad:
 *   new_param = param * (1 - lr * weight_decay) - lr * g'
 * When apply == 0, new_param = param. new_param may alias param. */
mfrt_status mfrt_sgd_step(const mfrt_tensor *param, const mfrt_tensor *grad,
                          double scale, double lr, int32_t apply,
                          double weight_decay, const mfrt_tensor *new_param);

/* AdamW (Loshchilov & Hutter; torch.optim.AdamW semantics), g = scale * grad,
 * t = step >= 1:
 *   new_m = beta1 * m + (1 - beta1) * g
 *   new_v = beta2 * v + (1 - beta2) * g^2
 *   m_hat = new_m / (1 - beta1^t),  v_hat = new_v / (1 - beta2^t)
 *   new_param = param * (1 - lr * weight_decay)
 *               - lr * m_hat / (sqrt(v_hat) + epsilon)
 * When apply == 0 every output equals its input. Outputs may alias the
 * corresponding inputs (new_param/param, new_m/m, new_v/v). Errors: step < 1,
 * beta outside [0, 1), epsilon < 0, non-finite hyper-parameters. */
mfrt_status mfrt_adamw_step(const mfrt_tensor *param, const mfrt_tensor *grad,
                            const mfrt_tensor *m, const mfrt_tensor *v,
                            double scale, double lr, double step, int32_t apply,
                            double beta1, double beta2, double epsilon,
                            double weight_decay, const mfrt_tensor *new_param,
                            const mfrt_tensor *new_m, const mfrt_tensor *new_v);

#ifdef __cplusplus
}
#endif

#endif /* MOEFOLD_RUNTIME_MFRT_OPTIM_H */
