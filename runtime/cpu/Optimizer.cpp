//===- Optimizer.cpp - gradient norm, clipping, SGD and AdamW -------------===//
//
// The kernels behind moe.global_norm, moe.clip_scale, moe.sgd_step and
// moe.adamw_step. Everything is computed in double and rounded once per
// stored element; elementwise updates allow outputs to alias their inputs.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_optim.h"

#include "../src/OpChecks.h"

#include <cmath>

using namespace mfrt;

namespace {

bool isFinite(double v) { return std::isfinite(v); }

/// Sum of squares of one F32/F64 tensor, in row-major order.
template <typename T> double sumSquares(const T *p, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i)
    s += double(p[i]) * double(p[i]);
  return s;
}

double sumSquaresOf(const mfrt_tensor *g) {
  int64_t n = numel(g);
  return g->dtype == MFRT_F64 ? sumSquares(ptr<double>(g), n)
                              : sumSquares(ptr<float>(g), n);
}

/// The AdamW element update (see mfrt_optim.h), in double.
template <typename T> struct AdamW {
  double b1, b2, invBc1, invBc2, decay, lr, eps, scale;

  inline void one(T p, T g, T m, T v, T &po, T &mo, T &vo) const {
    double gi = scale * double(g);
    double mn = b1 * double(m) + (1.0 - b1) * gi;
    double vn = b2 * double(v) + (1.0 - b2) * gi * gi;
    double pn =
        double(p) * decay - lr * (mn * invBc1) / (std::sqrt(vn * invBc2) + eps);
    // Moments are stored rounded, so a resumed run (which reads them back
    // from a checkpoint) continues bit for bit.
    mo = T(mn);
    vo = T(vn);
    po = T(pn);
  }
  void run(const T *__restrict p, const T *__restrict g, const T *__restrict m,
           const T *__restrict v, T *__restrict po, T *__restrict mo,
           T *__restrict vo, int64_t n) const {
    for (int64_t i = 0; i < n; ++i)
      one(p[i], g[i], m[i], v[i], po[i], mo[i], vo[i]);
  }
  void runAliased(const T *p, const T *g, const T *m, const T *v, T *po, T *mo,
                  T *vo, int64_t n) const {
    for (int64_t i = 0; i < n; ++i) {
      T pi = p[i], gi = g[i], mi = m[i], vi = v[i];
      one(pi, gi, mi, vi, po[i], mo[i], vo[i]);
    }
  }
};

} // namespace

extern "C" mfrt_status mfrt_sum_squares(const mfrt_tensor *g, double *acc) {
  ArgChecker a("mfrt_sum_squares");
  if (!checkSumSquares(a, g, acc))
    return a.status();
  *acc += sumSquaresOf(g);
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_global_norm(const mfrt_tensor *const *grads,
                                        int64_t count, const mfrt_tensor *out) {
  ArgChecker a("mfrt_global_norm");
  if (!checkGlobalNorm(a, grads, count, out))
    return a.status();
  double s = 0;
  for (int64_t i = 0; i < count; ++i)
    s += sumSquaresOf(grads[i]);
  return dispatchFloat(a.floatType(), [&](auto tag) {
    *ptr<decltype(tag)>(out) = decltype(tag)(std::sqrt(s));
    return MFRT_OK;
  });
}

extern "C" mfrt_status mfrt_clip_scale(double norm, double max_norm,
                                       double *scale, int32_t *apply) {
  return clipScale("mfrt_clip_scale", norm, max_norm, scale, apply);
}

extern "C" mfrt_status mfrt_sgd_step(const mfrt_tensor *param,
                                     const mfrt_tensor *grad, double scale,
                                     double lr, int32_t apply,
                                     double weight_decay,
                                     const mfrt_tensor *new_param) {
  ArgChecker a("mfrt_sgd_step");
  if (!checkSgdStep(a, param, grad, new_param))
    return a.status();
  if (!isFinite(lr) || !isFinite(weight_decay)) {
    a.fail("lr and weight_decay must be finite (got %g, %g)", lr, weight_decay);
    return a.status();
  }
  int64_t n = numel(param);
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    const T *p = ptr<T>(param), *g = ptr<T>(grad);
    T *out = ptr<T>(new_param);
    if (!apply) {
      for (int64_t i = 0; i < n; ++i)
        out[i] = p[i];
      return MFRT_OK;
    }
    double decay = 1.0 - lr * weight_decay;
    for (int64_t i = 0; i < n; ++i)
      out[i] = T(double(p[i]) * decay - lr * (scale * double(g[i])));
    return MFRT_OK;
  });
}

extern "C" mfrt_status
mfrt_adamw_step(const mfrt_tensor *param, const mfrt_tensor *grad,
                const mfrt_tensor *m, const mfrt_tensor *v, double scale,
                double lr, double step, int32_t apply, double beta1,
                double beta2, double epsilon, double weight_decay,
                const mfrt_tensor *new_param, const mfrt_tensor *new_m,
                const mfrt_tensor *new_v) {
  ArgChecker a("mfrt_adamw_step");
  if (!checkAdamwStep(a, param, grad, m, v, new_param, new_m, new_v))
    return a.status();
  if (!(step >= 1) || !isFinite(step)) {
    a.fail("step: expected a finite value >= 1 (steps count from 1), "
           "got %g",
           step);
    return a.status();
  }
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
    a.fail("betas: expected values in [0, 1), got %g, %g", beta1, beta2);
    return a.status();
  }
  if (!(epsilon >= 0) || !isFinite(epsilon) || !isFinite(lr) ||
      !isFinite(weight_decay)) {
    a.fail("lr, epsilon and weight_decay must be finite (epsilon >= "
           "0), got %g, %g, %g",
           lr, epsilon, weight_decay);
    return a.status();
  }
  int64_t n = numel(param);
  return dispatchFloat(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    const T *p = ptr<T>(param), *g = ptr<T>(grad), *mi = ptr<T>(m),
            *vi = ptr<T>(v);
    T *po = ptr<T>(new_param), *mo = ptr<T>(new_m), *vo = ptr<T>(new_v);
    if (!apply) {
      for (int64_t i = 0; i < n; ++i) {
        po[i] = p[i];
        mo[i] = mi[i];
        vo[i] = vi[i];
      }
      return MFRT_OK;
    }
    // m_hat / (sqrt(v_hat) + eps) with the bias corrections folded into
    // two factors: one division and one square root per element (and no
    // errno: this file is built with -fno-math-errno).
    AdamW<T> k;
    k.b1 = beta1;
    k.b2 = beta2;
    k.invBc1 = 1.0 / (1.0 - std::pow(beta1, step));
    k.invBc2 = 1.0 / (1.0 - std::pow(beta2, step));
    k.decay = 1.0 - lr * weight_decay;
    k.lr = lr;
    k.eps = epsilon;
    k.scale = scale;
    // Fresh outputs (what compiled programs pass) take the restrict loop;
    // in-place updates the plain one.
    bool disjoint = true;
    for (const void *out :
         {(const void *)po, (const void *)mo, (const void *)vo})
      for (const void *in : {(const void *)p, (const void *)g, (const void *)mi,
                             (const void *)vi})
        disjoint &= out != in;
    if (disjoint)
      k.run(p, g, mi, vi, po, mo, vo, n);
    else
      k.runAliased(p, g, mi, vi, po, mo, vo, n);
    return MFRT_OK;
  });
}
