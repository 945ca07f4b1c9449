//===- Checkpoint.h - save and restore every registered buffer --*- C++ -*-===//

#ifndef MOEFOLD_RUNTIME_DRIVER_CHECKPOINT_H
#define MOEFOLD_RUNTIME_DRIVER_CHECKPOINT_H

#include <cstdint>
#include <map>
#include <string>

namespace moefold::driver {

/// The file a checkpoint directory holds.
std::string checkpointFile(const std::string &dir);

/// Writes every registered buffer (parameters and states, by name) and
/// `metadata` (plus "format") to DIR/checkpoint.safetensors, creating DIR.
/// The write is atomic (temporary file + rename): a failure leaves any
/// previous checkpoint intact. Returns false with a message in `error`.
bool saveCheckpoint(const std::string &dir,
                    const std::map<std::string, std::string> &metadata,
                    std::string &error);

/// Reads DIR/checkpoint.safetensors into the registered buffers. Every
/// registered buffer must be present with the same dtype and shape (an
/// error names the tensor); its metadata is returned in `metadata`. Nothing
/// is modified unless the whole file checks out.
bool loadCheckpoint(const std::string &dir,
                    std::map<std::string, std::string> &metadata,
                    std::string &error);

/// "[64, 32] f32".
std::string describeShape(int32_t rank, const int64_t *shape,
                          const char *dtype);

} // namespace moefold::driver

#endif // MOEFOLD_RUNTIME_DRIVER_CHECKPOINT_H
