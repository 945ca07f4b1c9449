//===- DeviceTwins.h - device copies of a program's buffers -----*- C++ -*-===//
//
// A program compiled for a cuda backend (moefold-compile --backend cuda or
// cuda-emulated; docs/gpu-programs.md) keeps every buffer in device memory.
// Its parameters and states are still memref.globals in host memory: those
// are the host mirrors the registry hands the driver (initialisation,
// checkpoints, dumps work on them unchanged). Each registered buffer has one
// device twin, which the program uses (mfrt_mlir_device_twin_<t>); the
// driver moves the contents between mirror and twin with the functions
// below. Defined by the cuda MLIR ABI library (DeviceShims.cpp). The driver
// declares them weak (MFRT_DEVICE_HOOK): a cpu program has none of them.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_MLIR_ABI_DEVICETWINS_H
#define MOEFOLD_RUNTIME_MLIR_ABI_DEVICETWINS_H

#include "moefold_runtime/mfrt.h"

#include <cstddef>

#ifndef MFRT_DEVICE_HOOK
#define MFRT_DEVICE_HOOK
#endif

extern "C" {
/// mfrt_device_init(ordinal) (the node-local rank: one device per rank).
mfrt_status mfrt_mlir_device_init(int64_t ordinal) MFRT_DEVICE_HOOK;
/// mfrt_device_description().
const char *mfrt_mlir_device_description(void) MFRT_DEVICE_HOOK;
/// Copies every registered buffer's host mirror into its twin (creating the
/// twins that do not exist yet).
mfrt_status mfrt_mlir_device_upload_buffers(void) MFRT_DEVICE_HOOK;
/// Copies every twin into its host mirror (waits for the device).
mfrt_status mfrt_mlir_device_download_buffers(void) MFRT_DEVICE_HOOK;
/// Copies `bytes` host bytes into device memory at *device, allocating it
/// when *device is NULL (the batch the entry functions read).
mfrt_status mfrt_mlir_device_upload(void **device, const void *host,
                                    size_t bytes) MFRT_DEVICE_HOOK;
}

#endif // MOEFOLD_RUNTIME_MLIR_ABI_DEVICETWINS_H
