//===- Linear.cpp - moe.linear forward and backward on the device --------===//
//
// Three GEMMs (Blas.h: cuBLAS on the device, f32 accumulation for bf16).
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "../Blas.h"
#include "OpSupport.h"

using namespace mfrt;
using namespace mfrt::gpu;

extern "C" mfrt_status mfrt_cuda_linear_fwd(const mfrt_tensor *x,
                                            const mfrt_tensor *w,
                                            const mfrt_tensor *out) {
  ArgChecker a("mfrt_cuda_linear_fwd");
  a.allowBf16();
  if (!checkLinearFwd(a, x, w, out))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  int64_t m = rows(x), k = w->shape[0], n = w->shape[1];
  if (k == 0)
    return zeroDevice(out);
  return gemm(a.fn(), a.floatType(), false, false, m, n, k, 1.0, x->data, k,
              w->data, n, 0.0, out->data, n);
}

extern "C" mfrt_status mfrt_cuda_linear_bwd(const mfrt_tensor *x,
                                            const mfrt_tensor *w,
                                            const mfrt_tensor *dout,
                                            const mfrt_tensor *dx,
                                            const mfrt_tensor *dw) {
  ArgChecker a("mfrt_cuda_linear_bwd");
  a.allowBf16();
  if (!checkLinearBwd(a, x, w, dout, dx, dw))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  int64_t m = rows(x), k = w->shape[0], n = w->shape[1];
  mfrt_dtype dt = a.floatType();
  // A zero-length reduction leaves beta * C: zero those outputs instead.
  if (dx) {
    mfrt_status st = n == 0 ? zeroDevice(dx)
                            : gemm(a.fn(), dt, false, true, m, k, n, 1.0,
                                   dout->data, n, w->data, n, 0.0, dx->data, k);
    if (st != MFRT_OK)
      return st;
  }
  if (dw)
    return m == 0 ? zeroDevice(dw)
                  : gemm(a.fn(), dt, true, false, k, n, m, 1.0, x->data, k,
                         dout->data, n, 0.0, dw->data, n);
  return MFRT_OK;
}
