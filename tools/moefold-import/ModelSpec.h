//===- ModelSpec.h - a decoder-only MoE transformer, family-neutral -*- C++
//-*-===//
//
// What moefold-import reads out of a Hugging Face config.json (ConfigReader)
// and turns into moe-dialect IR (ModelBuilder): sizes, per-layer structure,
// routing and loss settings, and the Hugging Face parameter names of the
// family. Everything here is already validated: the builder may assume the
// sizes are positive and consistent.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_TOOLS_MOEFOLD_IMPORT_MODELSPEC_H
#define MOEFOLD_TOOLS_MOEFOLD_IMPORT_MODELSPEC_H

#include <cstdint>
#include <string>
#include <vector>

namespace moefold::import {

/// How a router turns logits into the probabilities it selects from.
enum class RouterScoring { Softmax, Sigmoid };

/// The parameter names of one family, relative to `model.layers.<i>.`.
struct FamilyNames {
  /// The MoE block: `block_sparse_moe` (Mixtral) or `mlp` (Qwen, DeepSeek).
  std::string moeBlock;
  /// Per-expert projections: `w1`/`w3`/`w2` (Mixtral) or
  /// `gate_proj`/`up_proj`/`down_proj`.
  std::string expertGate, expertUp, expertDown;
  /// The shared expert module: `shared_expert` (Qwen2-MoE) or
  /// `shared_experts` (DeepSeek-V3); empty when the family has none.
  std::string sharedExpert;
};

struct ModelSpec {
  /// `mixtral`, `qwen2_moe`, `qwen3_moe` or `deepseek_v3`.
  std::string modelType;
  /// The Hugging Face class, e.g. `MixtralForCausalLM`.
  std::string architecture;
  FamilyNames names;

  int64_t vocab = 0, hidden = 0, numLayers = 0;
  int64_t numHeads = 0, numKVHeads = 0, headDim = 0;
  double rmsNormEps = 1e-6;
  double ropeTheta = 10000.0;
  double initializerRange = 0.02;
  /// Biases on the q, k and v projections (Qwen2-MoE's `qkv_bias`).
  bool qkvBias = false;
  /// Qwen3-MoE's per-head RMSNorm of q and k (`self_attn.q_norm`,
  /// `self_attn.k_norm`, `[head_dim]` each, epsilon `rms_norm_eps`).
  bool qkNorm = false;

  /// Per layer: true for a sparse MoE block, false for a dense SwiGLU MLP.
  std::vector<bool> moeLayers;
  /// Width of the dense MLPs (`intermediate_size`); 0 when no layer is dense.
  int64_t denseFfn = 0;

  int64_t numExperts = 0, topK = 0;
  /// Width of one routed expert.
  int64_t expertFfn = 0;
  RouterScoring scoring = RouterScoring::Softmax;
  /// Divide the selected scores by their sum (Mixtral always; Qwen and
  /// DeepSeek with `norm_topk_prob`).
  bool renormalize = false;
  /// DeepSeek-V3's `e_score_correction_bias`: a router bias that only
  /// changes the selection (aux-loss-free balancing).
  bool expertBias = false;
  /// Width of the shared expert; 0 when there is none.
  int64_t sharedFfn = 0;
  /// Qwen2-MoE's `shared_expert_gate`: the shared expert's output is scaled
  /// by sigmoid(x @ gate).
  bool sharedGate = false;
  /// Hugging Face's `router_aux_loss_coef`; 0 means no auxiliary loss.
  double auxLossCoef = 0.0;

  int64_t numMoELayers() const {
    int64_t n = 0;
    for (bool moe : moeLayers)
      n += moe;
    return n;
  }
};

/// The training batch and the device mesh the placements are written for.
struct ImportOptions {
  int64_t batch = 4, seq = 32;
  int64_t world = 1, tp = 1, ep = 1, etp = 1;
};

} // namespace moefold::import

#endif // MOEFOLD_TOOLS_MOEFOLD_IMPORT_MODELSPEC_H
