//===- Checkpoint.h - save and restore every registered buffer --*- C++ -*-===//

#ifndef MOEFOLD_RUNTIME_DRIVER_CHECKPOINT_H
#define MOEFOLD_RUNTIME_DRIVER_CHECKPOINT_H

#include "moefold_runtime/mfrt.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace moefold::driver {

/// The file a checkpoint directory holds.
std::string checkpointFile(const std::string &dir);

/// Writes every registered buffer (parameters and states, by name) and
/// `metadata` (plus "format") to DIR/checkpoint.safetensors, creating DIR.
/// `tensors`, when given, holds the tensor to write for each registered
/// buffer (registry order): the global tensors a multi-rank driver gathered;
/// otherwise the buffers themselves are written. The write is atomic
/// (temporary file + rename): a failure leaves any previous checkpoint
/// intact. Returns false with a message in `error`.
bool saveCheckpoint(const std::string &dir,
                    const std::map<std::string, std::string> &metadata,
                    std::string &error,
                    const std::vector<mfrt_tensor> *tensors = nullptr);

/// Reads DIR/checkpoint.safetensors into the registered buffers. Every
/// registered buffer must be present with the dtype and the *global* shape
/// of the tensor it is a slice of (an error names the tensor); `rank`'s
/// slice is read (mfrt_safetensors_read_slice), so a checkpoint saved on
/// any mesh loads on any other. Its metadata is returned in `metadata`.
/// Nothing is modified unless the whole file checks out.
bool loadCheckpoint(const std::string &dir,
                    std::map<std::string, std::string> &metadata,
                    std::string &error, int64_t rank = 0);

/// "[64, 32] f32".
std::string describeShape(int32_t rank, const int64_t *shape,
                          const char *dtype);

} // namespace moefold::driver

#endif // MOEFOLD_RUNTIME_DRIVER_CHECKPOINT_H
