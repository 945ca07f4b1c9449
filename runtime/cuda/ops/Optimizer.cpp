//===- Optimizer.cpp - gradient norm, clipping, SGD and AdamW ------------===//
//
// mfrt_cuda_{sum_squares, global_norm, clip_scale, sgd_step, adamw_step}
// with the CPU backend's contracts (cpu/Optimizer.cpp): arithmetic in double,
// one rounding per stored element. The sum of squares is a deterministic
// device reduction (fixed partition, fixed tree), so a run reproduces bit
// for bit; only mfrt_cuda_sum_squares brings its result to the host —
// mfrt_cuda_global_norm leaves the norm on the device.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "MoeSupport.h"

#include <cmath>

using namespace mfrt;
using namespace mfrt::gpu;
using namespace mfrt::gpu::moe;

/// part[p] = sum of g[i]^2 over i = p, p + parts, ... (coalesced reads).
template <typename T>
static void partialSquares(const T *g, int64_t n, int64_t parts,
                           double *part) {
  forEach(parts, [=] MFRT_HD(int64_t p) {
    double s = 0;
    for (int64_t i = p; i < n; i += parts) {
      double v = double(load(g, i));
      s += v * v;
    }
    part[p] = s;
  });
}

/// out[q] = sum of in[q*width .. (q+1)*width) (a tree level).
static void sumBlocks(const double *in, int64_t m, int64_t width,
                      double *out) {
  forEach((m + width - 1) / width, [=] MFRT_HD(int64_t q) {
    double s = 0;
    int64_t end = (q + 1) * width < m ? (q + 1) * width : m;
    for (int64_t i = q * width; i < end; ++i)
      s += in[i];
    out[q] = s;
  });
}

static void setDouble(double *p, double v) {
  forEach(1, [=] MFRT_HD(int64_t) { p[0] = v; });
}

static void addDouble(double *acc, const double *v) {
  forEach(1, [=] MFRT_HD(int64_t) { acc[0] += v[0]; });
}

template <typename T> static void storeSqrt(const double *acc, T *out) {
  forEach(1, [=] MFRT_HD(int64_t) { store(out, 0, Acc<T>(sqrt(acc[0]))); });
}

template <typename T>
static void sgdKernel(const T *p, const T *g, int64_t n, double decay,
                      double lr, double scale, T *out) {
  forEach(n, [=] MFRT_HD(int64_t i) {
    store(out, i,
          Acc<T>(double(load(p, i)) * decay - lr * (scale * double(load(g, i)))));
  });
}

/// The AdamW element update (mfrt_optim.h); each thread reads its element's
/// inputs before writing, so outputs may alias inputs.
template <typename T>
static void adamwKernel(const T *p, const T *g, const T *m, const T *v,
                        int64_t n, double b1, double b2, double invBc1,
                        double invBc2, double decay, double lr, double eps,
                        double scale, T *po, T *mo, T *vo) {
  forEach(n, [=] MFRT_HD(int64_t i) {
    double gi = scale * double(load(g, i));
    double mn = b1 * double(load(m, i)) + (1.0 - b1) * gi;
    double vn = b2 * double(load(v, i)) + (1.0 - b2) * gi * gi;
    double pn = double(load(p, i)) * decay -
                lr * (mn * invBc1) / (sqrt(vn * invBc2) + eps);
    store(mo, i, Acc<T>(mn));
    store(vo, i, Acc<T>(vn));
    store(po, i, Acc<T>(pn));
  });
}

namespace {

/// *acc (device) += sum of squares of g.
mfrt_status addSumSquares(const char *fn, const mfrt_tensor *g, double *acc) {
  int64_t n = numel(g);
  if (n == 0)
    return MFRT_OK;
  constexpr int64_t kParts = 1 << 15, kWidth = 256;
  int64_t parts = n < kParts ? n : kParts;
  Scratch a, b;
  if (mfrt_status st = a.allocate(fn, size_t(parts) * sizeof(double)))
    return st;
  if (mfrt_status st = b.allocate(
          fn, size_t((parts + kWidth - 1) / kWidth) * sizeof(double)))
    return st;
  mfrt_status st = dispatchStorage(g->dtype, [&](auto tag) {
    using T = decltype(tag);
    partialSquares(ptr<const T>(g), n, parts, a.as<double>());
    return MFRT_OK;
  });
  double *in = a.as<double>(), *out = b.as<double>();
  for (int64_t m = parts; m > 1; m = (m + kWidth - 1) / kWidth) {
    sumBlocks(in, m, kWidth, out);
    double *t = in;
    in = out;
    out = t;
  }
  addDouble(acc, in);
  return st != MFRT_OK ? st : launched(fn);
}

} // namespace

extern "C" mfrt_status mfrt_cuda_sum_squares(const mfrt_tensor *g,
                                             double *acc) {
  ArgChecker a("mfrt_cuda_sum_squares");
  a.allowBf16();
  if (!checkSumSquares(a, g, acc))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  Scratch sum;
  if (mfrt_status st = sum.allocate(a.fn(), sizeof(double)))
    return st;
  setDouble(sum.as<double>(), 0.0);
  if (mfrt_status st = addSumSquares(a.fn(), g, sum.as<double>()))
    return st;
  double s = 0;
  if (mfrt_status st = mfrt_device_copy_to_host(&s, sum.get(), sizeof(s)))
    return st;
  *acc += s;
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_cuda_global_norm(const mfrt_tensor *const *grads,
                                             int64_t count,
                                             const mfrt_tensor *out) {
  ArgChecker a("mfrt_cuda_global_norm");
  a.allowBf16();
  if (!checkGlobalNorm(a, grads, count, out))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  Scratch sum;
  if (mfrt_status st = sum.allocate(a.fn(), sizeof(double)))
    return st;
  setDouble(sum.as<double>(), 0.0);
  for (int64_t i = 0; i < count; ++i)
    if (mfrt_status st = addSumSquares(a.fn(), grads[i], sum.as<double>()))
      return st;
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    storeSqrt(sum.as<const double>(), ptr<T>(out));
    return launched(a.fn());
  });
}

extern "C" mfrt_status mfrt_cuda_clip_scale(double norm, double max_norm,
                                            double *scale, int32_t *apply) {
  return clipScale("mfrt_cuda_clip_scale", norm, max_norm, scale, apply);
}

extern "C" mfrt_status mfrt_cuda_sgd_step(const mfrt_tensor *param,
                                          const mfrt_tensor *grad,
                                          double scale, double lr,
                                          int32_t apply, double weight_decay,
                                          const mfrt_tensor *new_param) {
  ArgChecker a("mfrt_cuda_sgd_step");
  a.allowBf16();
  if (!checkSgdStep(a, param, grad, new_param))
    return a.status();
  if (!std::isfinite(lr) || !std::isfinite(weight_decay)) {
    a.fail("lr and weight_decay must be finite (got %g, %g)", lr, weight_decay);
    return a.status();
  }
  if (mfrt_status st = ready(a.fn()))
    return st;
  if (!apply)
    return new_param->data == param->data ? MFRT_OK
                                          : copyDevice(param, new_param);
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    sgdKernel(ptr<const T>(param), ptr<const T>(grad), numel(param),
              1.0 - lr * weight_decay, lr, scale, ptr<T>(new_param));
    return launched(a.fn());
  });
}

extern "C" mfrt_status mfrt_cuda_adamw_step(
    const mfrt_tensor *param, const mfrt_tensor *grad, const mfrt_tensor *m,
    const mfrt_tensor *v, double scale, double lr, double step, int32_t apply,
    double beta1, double beta2, double epsilon, double weight_decay,
    const mfrt_tensor *new_param, const mfrt_tensor *new_m,
    const mfrt_tensor *new_v) {
  ArgChecker a("mfrt_cuda_adamw_step");
  a.allowBf16();
  if (!checkAdamwStep(a, param, grad, m, v, new_param, new_m, new_v))
    return a.status();
  if (!(step >= 1) || !std::isfinite(step)) {
    a.fail("step: expected a finite value >= 1 (steps count from 1), got %g",
           step);
    return a.status();
  }
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
    a.fail("betas: expected values in [0, 1), got %g, %g", beta1, beta2);
    return a.status();
  }
  if (!(epsilon >= 0) || !std::isfinite(epsilon) || !std::isfinite(lr) ||
      !std::isfinite(weight_decay)) {
    a.fail("lr, epsilon and weight_decay must be finite (epsilon >= 0), got "
           "%g, %g, %g",
           lr, epsilon, weight_decay);
    return a.status();
  }
  if (mfrt_status st = ready(a.fn()))
    return st;
  if (!apply) {
    mfrt_status st = MFRT_OK;
    if (new_param->data != param->data)
      st = copyDevice(param, new_param);
    if (st == MFRT_OK && new_m->data != m->data)
      st = copyDevice(m, new_m);
    if (st == MFRT_OK && new_v->data != v->data)
      st = copyDevice(v, new_v);
    return st;
  }
  double invBc1 = 1.0 / (1.0 - std::pow(beta1, step));
  double invBc2 = 1.0 / (1.0 - std::pow(beta2, step));
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    adamwKernel(ptr<const T>(param), ptr<const T>(grad), ptr<const T>(m),
                ptr<const T>(v), numel(param), beta1, beta2, invBc1, invBc2,
                1.0 - lr * weight_decay, lr, epsilon, scale, ptr<T>(new_param),
                ptr<T>(new_m), ptr<T>(new_v));
    return launched(a.fn());
  });
}
