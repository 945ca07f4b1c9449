//===- Checkpoint.h - sharded Hugging Face checkpoints ----------*- C++ -*-===//
//
// A checkpoint is a directory in the Hugging Face sharded layout
// (docs/runtime.md, "Checkpoints"):
//
//   model-0000k-of-0000n.safetensors      parameters, Hugging Face names and
//                                         layouts (HfLayout.h), one per rank
//   optimizer-0000k-of-0000n.safetensors  every other buffer (AdamW moments,
//                                         gradients), same names + "<role>."
//   model.safetensors.index.json          weight_map / optimizer_map, each
//                                         file's size and SHA-256, metadata
//                                         (step, seed, model fingerprint)
//
// Every exported tensor is written exactly once, by a rank that holds it or
// (for tensors split over ranks) by a rank the slices are gathered to.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_DRIVER_CHECKPOINT_H
#define MOEFOLD_RUNTIME_DRIVER_CHECKPOINT_H

#include "moefold_runtime/mfrt.h"

#include <cstdint>
#include <map>
#include <string>

namespace moefold::driver {

/// DIR/model.safetensors.index.json.
std::string indexFile(const std::string &dir);

/// Collective over every rank: writes the checkpoint of every registered
/// buffer, with `metadata` (plus format, fingerprint and total_size) in the
/// index. The ranks write into DIR.tmp-<pid>, the root writes the index
/// last and swaps the directory in (rename, or an atomic exchange with an
/// existing DIR), so an interrupted or failed save leaves any previous
/// checkpoint intact. Returns the same on every rank; on failure `error`
/// holds the first failing rank's reason there and is empty elsewhere.
bool saveCheckpoint(const std::string &dir,
                    const std::map<std::string, std::string> &metadata,
                    std::string &error);

/// Reads the checkpoint in DIR into the registered buffers: `rank`'s slice
/// of every tensor, so a checkpoint from any mesh loads under any other.
/// Validates first (file sizes and SHA-256 against the index, every tensor
/// present with the model's shape, the model fingerprint) and changes
/// nothing unless everything checks out. Returns the index metadata.
bool loadCheckpoint(const std::string &dir,
                    std::map<std::string, std::string> &metadata,
                    std::string &error, int64_t rank = 0);

/// "[64, 32] F32".
std::string describeShape(int32_t rank, const int64_t *shape,
                          const char *dtype);

} // namespace moefold::driver

#endif // MOEFOLD_RUNTIME_DRIVER_CHECKPOINT_H
