//===- HfLayout.cpp - Hugging Face names and layouts of buffers -----------===//

#include "HfLayout.h"

#include <cstring>

namespace moefold::driver {

std::vector<int64_t> HfTensor::shape() const {
  std::vector<int64_t> s;
  for (int32_t d : perm)
    s.push_back(hi[d] - lo[d]);
  return s;
}

namespace {

bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

/// "layers.<L>.<rest>" -> L and rest; false otherwise.
bool splitLayer(const std::string &name, std::string &layer,
                std::string &rest) {
  const char *prefix = "layers.";
  if (name.compare(0, 7, prefix) != 0)
    return false;
  size_t dot = name.find('.', 7);
  if (dot == std::string::npos || dot == 7 ||
      name.find_first_not_of("0123456789", 7) != dot)
    return false;
  layer = name.substr(7, dot - 7);
  rest = name.substr(dot + 1);
  return true;
}

/// "…experts.<rest>" -> "…experts.<e>.<rest>" (the first "experts."
/// component); without one, ".<e>" goes before the last component.
std::string expertName(const std::string &base, int64_t e) {
  std::string idx = std::to_string(e);
  for (size_t at = base.find("experts."); at != std::string::npos;
       at = base.find("experts.", at + 1))
    if (at == 0 || base[at - 1] == '.')
      return base.substr(0, at + 8) + idx + "." + base.substr(at + 8);
  size_t dot = base.rfind('.');
  if (dot == std::string::npos)
    return base + "." + idx;
  return base.substr(0, dot) + "." + idx + base.substr(dot);
}

HfTensor whole(const std::string &name, const mfrt_buffer_info *b) {
  HfTensor t;
  t.name = name;
  for (int32_t d = 0; d < b->tensor.rank; ++d) {
    t.lo.push_back(0);
    t.hi.push_back(b->global_shape[d]);
    t.perm.push_back(d);
  }
  return t;
}

} // namespace

std::string hfBaseName(const std::string &name) {
  if (name == "embed")
    return "model.embed_tokens.weight";
  if (name == "final_norm")
    return "model.norm.weight";
  if (name == "lm_head")
    return "lm_head.weight";
  std::string layer, rest;
  if (!splitLayer(name, layer, rest))
    return name;
  static const char *const table[][2] = {
      {"attn_norm", "input_layernorm.weight"},
      {"attn.wq", "self_attn.q_proj.weight"},
      {"attn.wk", "self_attn.k_proj.weight"},
      {"attn.wv", "self_attn.v_proj.weight"},
      {"attn.wo", "self_attn.o_proj.weight"},
      {"attn.q_norm", "self_attn.q_norm.weight"},
      {"attn.k_norm", "self_attn.k_norm.weight"},
      {"moe_norm", "post_attention_layernorm.weight"},
      {"moe.router", "block_sparse_moe.gate.weight"},
      {"moe.w_gate", "block_sparse_moe.experts.w1.weight"},
      {"moe.w_up", "block_sparse_moe.experts.w3.weight"},
      {"moe.w_down", "block_sparse_moe.experts.w2.weight"},
      {"shared.w_gate", "block_sparse_moe.shared_expert.gate_proj.weight"},
      {"shared.w_up", "block_sparse_moe.shared_expert.up_proj.weight"},
      {"shared.w_down", "block_sparse_moe.shared_expert.down_proj.weight"},
  };
  for (const auto &row : table)
    if (rest == row[0])
      return "model.layers." + layer + "." + row[1];
  return name;
}

std::vector<HfTensor> hfTensors(const mfrt_buffer_info *b) {
  int32_t rank = b->tensor.rank;
  if (b->kind != MFRT_BUFFER_PARAM) {
    const mfrt_buffer_info *p =
        b->of && *b->of ? mfrt_registry_find(b->of) : nullptr;
    bool sameShape = p && p->tensor.rank == rank;
    for (int32_t d = 0; sameShape && d < rank; ++d)
      sameShape = p->global_shape[d] == b->global_shape[d];
    if (!sameShape)
      return {whole(b->name, b)};
    std::vector<HfTensor> out = hfTensors(p);
    for (HfTensor &t : out)
      t.name = std::string(b->role) + "." + t.name;
    return out;
  }
  std::string base = hfBaseName(b->name);
  const int32_t kEmbedding = 0, kRoutedExpert = 4;
  if (rank == 3 && b->family == kRoutedExpert) {
    // Stacked [E, H, F]: expert e is HF's [F, H].
    std::vector<HfTensor> out;
    for (int64_t e = 0; e < b->global_shape[0]; ++e) {
      HfTensor t = whole(expertName(base, e), b);
      t.lo[0] = e;
      t.hi[0] = e + 1;
      t.perm = {2, 1};
      out.push_back(t);
    }
    return out;
  }
  HfTensor t = whole(base, b);
  if (rank == 2 && b->family != kEmbedding) {
    if (b->global_shape[0] == 1 && endsWith(base, ".bias"))
      t.perm = {1}; // a [1, N] bias is HF's [N]
    else
      t.perm = {1, 0}; // [in, out] -> torch's [out, in]
  }
  return {t};
}

} // namespace moefold::driver
