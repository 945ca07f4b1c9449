//===- LayerShape.h - the MoE layer shapes the GPU benchmark times -------===//
//
// Shapes, routing options and the counts derived from them (model FLOPs,
// permute bytes). Pure host code: the device bench, its emulated build and
// its smoke test share it, and bench/gpu/torch_moe_layer.py repeats the same
// formulas (docs/gpu.md states them).
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_BENCH_GPU_LAYERSHAPE_H
#define MOEFOLD_BENCH_GPU_LAYERSHAPE_H

#include "moefold_runtime/mfrt_ops.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moefold::bench {

/// One MoE layer: T tokens of width H, E experts of inner width F, top-k.
struct LayerShape {
  std::string name;
  int64_t T = 0, H = 0, F = 0, E = 0, k = 0;
  mfrt_router_scoring scoring = MFRT_SCORING_SOFTMAX;
};

/// mixtral, qwen3-30b-a3b, deepseek-v3-ep8 (the shapes) and tiny
/// (the emulated smoke run).
const std::vector<LayerShape> &namedShapes();

/// `all` (the three issue shapes), a name of namedShapes(), or a custom
/// `T=16,H=8,F=12,E=4,k=2[,scoring=sigmoid]`. Returns false with `error`
/// set on a bad spec.
bool parseShapes(const std::string &spec, std::vector<LayerShape> &out,
                 std::string &error);

/// Model FLOPs of one forward + backward of the layer, GEMMs only:
///   forward  = 2·T·H·E (router) + 3 · 2·(T·k)·H·F (gate, up, down GEMMs)
///   backward = 2 × forward (two GEMMs per forward GEMM)
///   total    = 6·T·H·E + 18·T·k·H·F
/// Elementwise work (softmax, top-k, SwiGLU, permutes) is not counted, nor
/// any recomputation a backward kernel chooses to do.
int64_t layerFlops(const LayerShape &s);

/// Bytes a permute (dispatch forward: gather T·k rows of H) must read plus
/// write: 2·T·k·H·b. The unpermute (combine forward: T·k rows summed into
/// T) reads T·k·H·b and writes T·H·b.
int64_t permuteBytes(const LayerShape &s, int64_t elementBytes);
int64_t unpermuteBytes(const LayerShape &s, int64_t elementBytes);

/// Bytes of the permuted tensor, T·k·H·b: the size of the reference
/// device-to-device copy (which reads and writes it: 2× this traffic).
int64_t permutedTensorBytes(const LayerShape &s, int64_t elementBytes);

} // namespace moefold::bench

#endif
