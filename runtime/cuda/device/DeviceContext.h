//===- DeviceContext.h - CUDA handles of the process (device build only) -===//

#ifndef MOEFOLD_RUNTIME_CUDA_DEVICE_DEVICECONTEXT_H
#define MOEFOLD_RUNTIME_CUDA_DEVICE_DEVICECONTEXT_H

#include "moefold_runtime/mfrt.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace mfrt::gpu {

cudaStream_t computeStream();
/// The cuBLAS handle bound to the compute stream.
cublasHandle_t blasHandle();

/// Record "fn: what: <CUDA/cuBLAS error string>" as the last error and return
/// MFRT_ERROR_UNSUPPORTED for a missing device, else
/// MFRT_ERROR_INVALID_ARGUMENT.
mfrt_status cudaFailure(const char *fn, const char *what, cudaError_t error);
mfrt_status blasFailure(const char *fn, const char *what,
                        cublasStatus_t status);

} // namespace mfrt::gpu

#endif
