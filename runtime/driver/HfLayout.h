//===- HfLayout.h - Hugging Face names and layouts of buffers --*- C++ -*-===//
//
// The one place that says how a moefold buffer is exported under Hugging
// Face tensor names (docs/import.md, "Parameter names and layouts"). The
// compiler hands the runtime everything the mapping needs through the
// registry (names, families, global shapes); checkpoint save and load both
// go through hfTensors(), so they cannot disagree.
//
// Every exported tensor is a box of the buffer's global tensor read with an
// axis order: export dimension k runs along global dimension perm[k], and
// the global dimensions not in perm have extent 1 in the box. That covers
// the identity, a [1, N] bias flattened to [N], a transposed [in, out]
// linear weight, and expert e of a stacked [E, H, F] tensor ([F, H]).
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_DRIVER_HFLAYOUT_H
#define MOEFOLD_RUNTIME_DRIVER_HFLAYOUT_H

#include "moefold_runtime/mfrt_registry.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moefold::driver {

struct HfTensor {
  std::string name;
  /// The box [lo, hi) of the global tensor it holds.
  std::vector<int64_t> lo, hi;
  /// Export dimension k is global dimension perm[k].
  std::vector<int32_t> perm;
  /// The exported shape: hi[perm[k]] - lo[perm[k]].
  std::vector<int64_t> shape() const;
};

/// The Hugging Face name of a parameter before expert splitting: the table
/// for hand-written models (examples/tiny_moe.mlir's names, Mixtral-style)
/// or the name itself (moefold-import already uses Hugging Face names).
std::string hfBaseName(const std::string &name);

/// The tensors buffer `b` is exported as. Parameters: by family and shape
/// (see the file comment and docs/import.md). A state that belongs to a
/// parameter of its shape (gradient, AdamW moments) follows the parameter,
/// its names prefixed with "<role>."; any other state is exported whole
/// under its own name.
std::vector<HfTensor> hfTensors(const mfrt_buffer_info *b);

} // namespace moefold::driver

#endif // MOEFOLD_RUNTIME_DRIVER_HFLAYOUT_H
