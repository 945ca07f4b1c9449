//===- ConfigReader.cpp - Hugging Face config.json -> ModelSpec -----------===//
//
// One function per family (readMixtral, readQwen2Moe, readQwen3Moe,
// readDeepseekV3) pulls
// the fields it understands out of a Config, which remembers every key it
// was asked about. Whatever is left is either a known harmless field (noted)
// or unknown (an error). Semantic checks on the sizes run only once the
// fields themselves are well-formed, so one config gets one coherent list of
// problems.
//
//===----------------------------------------------------------------------===//

#include "ConfigReader.h"

#include "moefold/Placement/MeshLayout.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

using namespace moefold::import;
using llvm::formatv;
using llvm::StringRef;
namespace json = llvm::json;

namespace {

/// A double as printf's %g writes it (1e-05, 0.02, 1e+06).
std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

/// Fields of the common PretrainedConfig, tokenizer and generation settings:
/// none of them changes the model's forward or backward pass.
constexpr StringRef kHarmlessFields[] = {
    "_name_or_path",
    "add_cross_attention",
    "auto_map",
    "bad_words_ids",
    "begin_suppress_tokens",
    "bos_token_id",
    "chunk_size_feed_forward",
    "cross_attention_hidden_size",
    "decoder_start_token_id",
    "diversity_penalty",
    "do_sample",
    "dtype",
    "early_stopping",
    "encoder_no_repeat_ngram_size",
    "eos_token_id",
    "exponential_decay_length_penalty",
    "finetuning_task",
    "forced_bos_token_id",
    "forced_eos_token_id",
    "id2label",
    "is_decoder",
    "is_encoder_decoder",
    "label2id",
    "length_penalty",
    "max_length",
    "min_length",
    "no_repeat_ngram_size",
    "num_beam_groups",
    "num_beams",
    "num_return_sequences",
    "output_attentions",
    "output_hidden_states",
    "output_scores",
    "pad_token_id",
    "prefix",
    "problem_type",
    "pruned_heads",
    "remove_invalid_values",
    "repetition_penalty",
    "return_dict",
    "return_dict_in_generate",
    "sep_token_id",
    "suppress_tokens",
    "task_specific_params",
    "temperature",
    "tf_legacy_loss",
    "tie_encoder_decoder",
    "tokenizer_class",
    "top_k",
    "top_p",
    "torch_dtype",
    "torchscript",
    "transformers_version",
    "typical_p",
    "use_bfloat16",
    "use_cache",
    "use_return_dict",
};

/// A config object that remembers which keys were consulted and collects
/// problems. A key whose value is JSON null counts as absent (Hugging Face
/// treats None as "use the default") unless a reader asks for the null.
class Config {
public:
  Config(const json::Object &object, StringRef modelType, Diagnostics &diags)
      : object(object), modelType(modelType.str()), diags(diags) {}

  /// Present and not null. Marks the key as consulted.
  bool has(StringRef key) {
    used.insert(key);
    const json::Value *v = object.get(key);
    return v && v->kind() != json::Value::Null;
  }
  /// Present with the value null.
  bool isNull(StringRef key) {
    used.insert(key);
    const json::Value *v = object.get(key);
    return v && v->kind() == json::Value::Null;
  }
  /// The value as JSON text (for messages).
  std::string show(StringRef key) const {
    const json::Value *v = object.get(key);
    if (!v)
      return "<absent>";
    if (v->kind() == json::Value::Number && !v->getAsInteger())
      return num(*v->getAsNumber());
    std::string text;
    llvm::raw_string_ostream os(text);
    os << *v;
    return text;
  }

  std::optional<int64_t> getInt(StringRef key) {
    if (!has(key))
      return std::nullopt;
    const json::Value *v = object.get(key);
    if (std::optional<int64_t> i = v->getAsInteger())
      return i;
    // 64.0 is an integer written as a float; 64.5 is not.
    if (std::optional<double> d = v->getAsNumber();
        d && std::isfinite(*d) && *d == std::floor(*d) && std::fabs(*d) < 1e15)
      return static_cast<int64_t>(*d);
    typeError(key, "an integer");
    return std::nullopt;
  }
  std::optional<double> getNumber(StringRef key) {
    if (!has(key))
      return std::nullopt;
    if (std::optional<double> d = object.get(key)->getAsNumber())
      return d;
    typeError(key, "a number");
    return std::nullopt;
  }
  std::optional<bool> getBool(StringRef key) {
    if (!has(key))
      return std::nullopt;
    if (std::optional<bool> b = object.get(key)->getAsBoolean())
      return b;
    typeError(key, "true or false");
    return std::nullopt;
  }
  std::optional<std::string> getString(StringRef key) {
    if (!has(key))
      return std::nullopt;
    if (std::optional<StringRef> s = object.get(key)->getAsString())
      return s->str();
    typeError(key, "a string");
    return std::nullopt;
  }
  const json::Array *getArray(StringRef key) {
    if (!has(key))
      return nullptr;
    if (const json::Array *a = object.get(key)->getAsArray())
      return a;
    typeError(key, "a list");
    return nullptr;
  }
  const json::Object *getObject(StringRef key) {
    if (!has(key))
      return nullptr;
    if (const json::Object *o = object.get(key)->getAsObject())
      return o;
    typeError(key, "an object");
    return nullptr;
  }

  /// A required integer: missing ones are collected and reported together.
  int64_t requireInt(StringRef key) {
    if (!has(key)) {
      missing.push_back(key.str());
      return 0;
    }
    return getInt(key).value_or(0);
  }
  /// An optional field with a family default; notes when the default is used.
  template <typename T>
  T withDefault(StringRef key, std::optional<T> value, T fallback,
                StringRef shown) {
    if (value)
      return *value;
    if (!has(key) && !hadTypeError(key))
      note(formatv("'{0}' is absent: using the {1} default {2}", key, modelType,
                   shown)
               .str());
    return fallback;
  }
  int64_t optInt(StringRef key, int64_t fallback) {
    return withDefault<int64_t>(key, getInt(key), fallback,
                                std::to_string(fallback));
  }
  double optNumber(StringRef key, double fallback) {
    return withDefault<double>(key, getNumber(key), fallback, num(fallback));
  }
  bool optBool(StringRef key, bool fallback) {
    return withDefault<bool>(key, getBool(key), fallback,
                             fallback ? "true" : "false");
  }

  /// A field whose value changes the math in a way moefold cannot express.
  void unsupported(StringRef key, const llvm::Twine &why) {
    used.insert(key);
    unsupportedFields.push_back(
        formatv("'{0}' = {1}: {2}", key, show(key), why.str()).str());
  }
  /// Same, for a value that comes from the family default.
  void unsupportedDefault(StringRef key, StringRef shown,
                          const llvm::Twine &why) {
    used.insert(key);
    unsupportedFields.push_back(formatv("'{0}' absent ({1} default {2}): "
                                        "{3}",
                                        key, modelType, shown, why.str())
                                    .str());
  }
  /// A field that is consulted but changes nothing here.
  void ignore(StringRef key) {
    if (object.get(key)) {
      used.insert(key);
      ignored.push_back(key.str());
    }
  }
  void invalid(const llvm::Twine &message) {
    invalidValues.push_back(message.str());
  }
  void note(const llvm::Twine &message) {
    diags.notes.push_back(message.str());
  }

  /// Keys nobody asked about, sorted.
  std::vector<std::string> unconsulted() const {
    std::vector<std::string> keys;
    for (const auto &kv : object)
      if (!used.contains(kv.first.str()))
        keys.push_back(kv.first.str());
    llvm::sort(keys);
    return keys;
  }
  bool hadTypeError(StringRef key) const { return typeErrors.contains(key); }
  bool hadTypeErrors() const { return !typeErrors.empty(); }

  std::vector<std::string> missing, unsupportedFields, invalidValues, ignored;

private:
  void typeError(StringRef key, StringRef expected) {
    typeErrors.insert(key);
    invalidValues.push_back(
        formatv("field '{0}' must be {1}, got {2}", key, expected, show(key))
            .str());
  }

  const json::Object &object;
  std::string modelType;
  Diagnostics &diags;
  llvm::StringSet<> used, typeErrors;
};

/// The families moefold-import understands: model_type -> causal-LM class.
struct Family {
  StringRef modelType, architecture;
};
constexpr Family kFamilies[] = {
    {"mixtral", "MixtralForCausalLM"},
    {"qwen2_moe", "Qwen2MoeForCausalLM"},
    {"qwen3_moe", "Qwen3MoeForCausalLM"},
    {"deepseek_v3", "DeepseekV3ForCausalLM"},
};

/// Families that are recognised and rejected, with the reason.
struct RejectedFamily {
  StringRef modelType, architecture, reason;
};
constexpr RejectedFamily kRejectedFamilies[] = {
    {"deepseek_v2", "DeepseekV2ForCausalLM",
     "DeepSeek-V2 uses multi-head latent attention and greedy softmax "
     "routing; only the DeepSeek-V3 MoE block (deepseek_v3) is supported"},
};

//===----------------------------------------------------------------------===//
// Fields every family shares
//===----------------------------------------------------------------------===//

/// ModelSpec::headDim before checkSizes when the config has no head_dim.
constexpr int64_t kDeriveHeadDim = INT64_MIN;
/// ModelSpec::numKVHeads before checkSizes for `num_key_value_heads: null`.
constexpr int64_t kKVHeadsFromHeads = INT64_MIN;

struct CommonDefaults {
  double rmsNormEps, ropeTheta;
};

void readCommon(Config &c, ModelSpec &m, const CommonDefaults &defaults,
                const ImportOptions &opts) {
  m.vocab = c.requireInt("vocab_size");
  m.hidden = c.requireInt("hidden_size");
  m.numLayers = c.requireInt("num_hidden_layers");
  m.numHeads = c.requireInt("num_attention_heads");
  // Required because the Hugging Face defaults for an absent value (8 for
  // Mixtral, 16 for Qwen2-MoE, 128 for DeepSeek-V3) rarely fit a small
  // model; null means multi-head attention, as in Hugging Face.
  if (c.isNull("num_key_value_heads"))
    m.numKVHeads = kKVHeadsFromHeads;
  else
    m.numKVHeads = c.requireInt("num_key_value_heads");
  m.headDim = c.getInt("head_dim").value_or(kDeriveHeadDim);

  if (std::optional<std::string> act = c.getString("hidden_act");
      act && *act != "silu" && *act != "swish")
    c.unsupported("hidden_act",
                  "the experts and MLPs are SwiGLU (silu); other activations "
                  "have no moe op");

  m.initializerRange = c.optNumber("initializer_range", 0.02);
  if (!(m.initializerRange > 0) || !std::isfinite(m.initializerRange))
    c.invalid(formatv("initializer_range must be positive, got {0}",
                      num(m.initializerRange)));
  m.rmsNormEps = c.optNumber("rms_norm_eps", defaults.rmsNormEps);
  if (!(m.rmsNormEps > 0) || !std::isfinite(m.rmsNormEps))
    c.invalid(
        formatv("rms_norm_eps must be positive, got {0}", num(m.rmsNormEps)));

  // Rotary embedding: `rope_theta` (transformers 4.x) or
  // `rope_parameters` = {"rope_type": "default", "rope_theta": ...} (5.x).
  std::optional<double> theta = c.getNumber("rope_theta");
  auto readRopeDict = [&](StringRef key) {
    const json::Object *rope = c.getObject(key);
    if (!rope)
      return;
    // No type at all is the default rotary embedding.
    std::optional<StringRef> type = StringRef("default");
    if (const json::Value *t = rope->get("rope_type"))
      type = t->getAsString();
    else if (const json::Value *t = rope->get("type"))
      type = t->getAsString();
    bool onlyDefault = type && *type == "default";
    for (const auto &kv : *rope)
      if (kv.first != "rope_type" && kv.first != "type" &&
          kv.first != "rope_theta")
        onlyDefault = false;
    if (!onlyDefault) {
      c.unsupported(key, "only the default rotary embedding is implemented "
                         "(no scaling: linear, dynamic, yarn, longrope, "
                         "llama3, ...)");
      return;
    }
    if (const json::Value *t = rope->get("rope_theta")) {
      std::optional<double> inner = t->getAsNumber();
      if (!inner) {
        c.invalid(formatv("'{0}.rope_theta' must be a number", key));
      } else if (theta && *theta != *inner) {
        c.invalid(formatv("'rope_theta' = {0} disagrees with "
                          "'{1}.rope_theta' = {2}",
                          num(*theta), key, num(*inner)));
      } else {
        theta = inner;
      }
    }
  };
  readRopeDict("rope_parameters");
  readRopeDict("rope_scaling");
  m.ropeTheta = c.withDefault<double>("rope_theta", theta, defaults.ropeTheta,
                                      num(defaults.ropeTheta));
  if (!(m.ropeTheta > 0) || !std::isfinite(m.ropeTheta))
    c.invalid(
        formatv("rope_theta must be positive, got {0}", num(m.ropeTheta)));

  if (std::optional<int64_t> maxPos = c.getInt("max_position_embeddings");
      maxPos && opts.seq > *maxPos)
    c.invalid(formatv("--seq {0} exceeds max_position_embeddings = {1}",
                      opts.seq, *maxPos));

  if (std::optional<bool> tie = c.getBool("tie_word_embeddings"); tie && *tie)
    c.unsupported("tie_word_embeddings",
                  "the LM head would read model.embed_tokens.weight "
                  "transposed, and the moe dialect has no transposed linear "
                  "or transpose op yet; untie the embeddings");

  if (std::optional<double> p = c.getNumber("attention_dropout"); p && *p != 0)
    c.unsupported("attention_dropout", "dropout is not implemented");

  c.ignore("output_router_logits");
  c.ignore("pretraining_tp");
}

/// A window of W masks nothing when every query sees at most S <= W keys.
void checkSlidingWindow(Config &c, StringRef key, const ImportOptions &opts) {
  std::optional<int64_t> window = c.getInt(key);
  if (!window)
    return;
  if (*window >= opts.seq)
    c.note(formatv("'{0}' = {1} masks nothing at --seq {2}: full causal "
                   "attention is exact",
                   key, *window, opts.seq));
  else
    c.unsupported(key, formatv("sliding-window attention is not implemented "
                               "(it would mask keys at --seq {0})",
                               opts.seq));
}

//===----------------------------------------------------------------------===//
// Families
//===----------------------------------------------------------------------===//

void readMixtral(Config &c, ModelSpec &m, const ImportOptions &opts) {
  readCommon(c, m, {/*rmsNormEps=*/1e-5, /*ropeTheta=*/1e6}, opts);
  m.names = {"block_sparse_moe", "w1", "w3", "w2", ""};
  m.expertFfn = c.requireInt("intermediate_size");
  m.numExperts = c.requireInt("num_local_experts");
  m.topK = c.requireInt("num_experts_per_tok");
  m.scoring = RouterScoring::Softmax;
  m.renormalize = true; // MixtralSparseMoeBlock always renormalises
  m.auxLossCoef = c.optNumber("router_aux_loss_coef", 0.001);
  m.moeLayers.assign(std::max<int64_t>(m.numLayers, 0), true);
  if (std::optional<double> j = c.getNumber("router_jitter_noise"); j && *j)
    c.unsupported("router_jitter_noise",
                  "router input jitter (random noise in training) is not "
                  "implemented");
  checkSlidingWindow(c, "sliding_window", opts);
}

/// The decoder-layer pattern and sliding-window fields of Qwen2-MoE and
/// Qwen3-MoE (the same in both).
void readQwenLayers(Config &c, ModelSpec &m, const ImportOptions &opts) {
  // Qwen2/Qwen3MoeDecoderLayer: MoE unless listed in mlp_only_layers, every
  // decoder_sparse_step-th layer.
  int64_t step = c.optInt("decoder_sparse_step", 1);
  if (step < 1)
    c.invalid(formatv("decoder_sparse_step must be at least 1, got {0}", step));
  std::vector<int64_t> mlpOnly;
  if (const json::Array *list = c.getArray("mlp_only_layers")) {
    for (const json::Value &v : *list) {
      std::optional<int64_t> i = v.getAsInteger();
      if (!i) {
        c.invalid(formatv("'mlp_only_layers' must list layer indices, got {0}",
                          c.show("mlp_only_layers")));
        break;
      }
      mlpOnly.push_back(*i);
    }
  }
  if (m.numLayers > 0) {
    for (int64_t i : mlpOnly)
      if (i < 0 || i >= m.numLayers)
        c.invalid(formatv("'mlp_only_layers' lists layer {0}, outside "
                          "[0, num_hidden_layers = {1})",
                          i, m.numLayers));
    for (int64_t i = 0; i < m.numLayers; ++i)
      m.moeLayers.push_back(!llvm::is_contained(mlpOnly, i) && step >= 1 &&
                            (i + 1) % step == 0);
  }
  if (llvm::is_contained(m.moeLayers, false))
    m.denseFfn = c.requireInt("intermediate_size");
  else
    c.ignore("intermediate_size");

  // Sliding windows apply only with use_sliding_window.
  bool sliding = c.optBool("use_sliding_window", false);
  if (const json::Array *types = c.getArray("layer_types")) {
    for (const json::Value &v : *types) {
      std::optional<StringRef> t = v.getAsString();
      if (t && *t == "sliding_attention")
        sliding = true;
      else if (!t || *t != "full_attention")
        c.unsupported("layer_types", "only full_attention and "
                                     "sliding_attention layers are known");
    }
  }
  if (sliding)
    checkSlidingWindow(c, "sliding_window", opts);
  else
    c.ignore("sliding_window");
  c.ignore("max_window_layers");
}

void readQwen2Moe(Config &c, ModelSpec &m, const ImportOptions &opts) {
  readCommon(c, m, {/*rmsNormEps=*/1e-6, /*ropeTheta=*/1e4}, opts);
  m.names = {"mlp", "gate_proj", "up_proj", "down_proj", "shared_expert"};
  m.numExperts = c.requireInt("num_experts");
  m.topK = c.requireInt("num_experts_per_tok");
  m.expertFfn = c.requireInt("moe_intermediate_size");
  m.sharedFfn = c.requireInt("shared_expert_intermediate_size");
  m.sharedGate = true;
  m.scoring = RouterScoring::Softmax;
  m.renormalize = c.optBool("norm_topk_prob", false);
  m.auxLossCoef = c.optNumber("router_aux_loss_coef", 0.001);
  m.qkvBias = c.optBool("qkv_bias", true);

  readQwenLayers(c, m, opts);
}

void readQwen3Moe(Config &c, ModelSpec &m, const ImportOptions &opts) {
  readCommon(c, m, {/*rmsNormEps=*/1e-6, /*ropeTheta=*/1e4}, opts);
  // Qwen3MoeSparseMoeBlock: softmax top-k routing, no shared expert; the
  // attention RMS-normalises every q and k head (q_norm, k_norm).
  m.names = {"mlp", "gate_proj", "up_proj", "down_proj", ""};
  m.numExperts = c.requireInt("num_experts");
  m.topK = c.requireInt("num_experts_per_tok");
  m.expertFfn = c.requireInt("moe_intermediate_size");
  m.scoring = RouterScoring::Softmax;
  m.renormalize = c.optBool("norm_topk_prob", false);
  m.auxLossCoef = c.optNumber("router_aux_loss_coef", 0.001);
  m.qkNorm = true;
  if (std::optional<bool> bias = c.getBool("attention_bias"); bias && *bias)
    c.unsupported("attention_bias", "attention projection biases are only "
                                    "implemented for Qwen2-MoE's q/k/v");
  readQwenLayers(c, m, opts);
}

void readDeepseekV3(Config &c, ModelSpec &m, const ImportOptions &opts) {
  readCommon(c, m, {/*rmsNormEps=*/1e-6, /*ropeTheta=*/1e4}, opts);
  m.names = {"mlp", "gate_proj", "up_proj", "down_proj", "shared_experts"};
  m.numExperts = c.requireInt("n_routed_experts");
  m.topK = c.requireInt("num_experts_per_tok");
  m.expertFfn = c.requireInt("moe_intermediate_size");
  m.scoring = RouterScoring::Sigmoid;
  m.expertBias = true;
  m.renormalize = c.optBool("norm_topk_prob", true);
  m.auxLossCoef = 0.0; // auxiliary-loss-free balancing

  int64_t nShared = c.optInt("n_shared_experts", 1);
  if (nShared < 0)
    c.invalid(
        formatv("n_shared_experts must not be negative, got {0}", nShared));
  int64_t firstDense = c.optInt("first_k_dense_replace", 3);
  if (firstDense < 0)
    c.invalid(formatv("first_k_dense_replace must not be negative, got {0}",
                      firstDense));
  int64_t freq = c.optInt("moe_layer_freq", 1);
  if (freq < 1)
    c.invalid(formatv("moe_layer_freq must be at least 1, got {0}", freq));
  for (int64_t i = 0; i < m.numLayers; ++i)
    m.moeLayers.push_back(i >= firstDense && freq >= 1 && i % freq == 0);
  if (llvm::is_contained(m.moeLayers, false))
    m.denseFfn = c.requireInt("intermediate_size");
  else
    c.ignore("intermediate_size");
  if (m.expertFfn > 0 && nShared > 0)
    m.sharedFfn = nShared * m.expertFfn;

  // Routing: sigmoid scores, top-k of scores + e_score_correction_bias.
  if (std::optional<std::string> s = c.getString("scoring_func");
      s && *s != "sigmoid")
    c.unsupported("scoring_func", "DeepSeek-V3 routing is sigmoid scoring");
  if (std::optional<std::string> t = c.getString("topk_method");
      t && *t != "noaux_tc")
    c.unsupported("topk_method", "only DeepSeek-V3's noaux_tc selection "
                                 "(top-k of score + bias) is implemented");
  std::optional<double> scale = c.getNumber("routed_scaling_factor");
  if (scale && *scale != 1.0)
    c.unsupported("routed_scaling_factor",
                  "the routed experts' output would be scaled, and "
                  "moe.combine has no scale; set it to 1.0");
  else if (!scale && !c.hadTypeError("routed_scaling_factor"))
    c.unsupportedDefault("routed_scaling_factor", "2.5",
                         "moe.combine has no scale; set it to 1.0");
  std::optional<int64_t> nGroup = c.getInt("n_group");
  std::optional<int64_t> topkGroup = c.getInt("topk_group");
  int64_t groups = nGroup.value_or(8), keep = topkGroup.value_or(4);
  if (!c.hadTypeError("n_group") && !c.hadTypeError("topk_group") &&
      groups > 1 && keep < groups) {
    std::string why = formatv("group-limited routing (the top {0} of {1} "
                              "expert groups) is not implemented; set "
                              "n_group = topk_group = 1",
                              keep, groups);
    if (nGroup)
      c.unsupported("n_group", why);
    else
      c.unsupportedDefault("n_group", "8", why);
    if (topkGroup)
      c.unsupported("topk_group", why);
    else
      c.unsupportedDefault("topk_group", "4", why);
  }
  if (std::optional<double> alpha = c.getNumber("aux_loss_alpha");
      alpha && *alpha != 0)
    c.unsupported("aux_loss_alpha",
                  "DeepSeek's sequence-wise balance loss is not implemented "
                  "(balancing is auxiliary-loss-free: the expert bias)");
  c.ignore("seq_aux");

  // Multi-head latent attention: not implemented. Without these fields the
  // attention is standard grouped-query attention.
  bool mla = false;
  for (StringRef key : {"q_lora_rank", "kv_lora_rank", "qk_rope_head_dim",
                        "qk_nope_head_dim", "v_head_dim"})
    if (c.has(key)) {
      c.unsupported(key, "multi-head latent attention (MLA) is not "
                         "implemented; leave the MLA fields out to get "
                         "standard grouped-query attention");
      mla = true;
    }
  if (!mla)
    c.note("deepseek_v3 without MLA fields: importing standard "
           "grouped-query attention with num_key_value_heads kv heads "
           "(Hugging Face's DeepseekV3 always uses multi-head latent "
           "attention)");
  if (std::optional<bool> inter = c.getBool("rope_interleave"); inter && *inter)
    c.unsupported("rope_interleave",
                  "moefold's rotary embedding uses the half-split "
                  "(rotate_half) layout");
  if (std::optional<bool> bias = c.getBool("attention_bias"); bias && *bias)
    c.unsupported("attention_bias", "attention projection biases are only "
                                    "implemented for Qwen2-MoE's q/k/v");
  if (std::optional<int64_t> mtp = c.getInt("num_nextn_predict_layers");
      mtp && *mtp > 0)
    c.unsupported("num_nextn_predict_layers",
                  "multi-token-prediction layers are not implemented");
  c.ignore("ep_size");
}

//===----------------------------------------------------------------------===//
// Sizes
//===----------------------------------------------------------------------===//

void checkSizes(Config &c, ModelSpec &m, StringRef expertsField,
                const ImportOptions &opts) {
  // Far above any real model, and small enough that no tensor size or
  // offset overflows 64 bits downstream.
  constexpr int64_t kMaxSize = int64_t(1) << 24, kMaxLayers = 1024;
  auto positive = [&](StringRef field, int64_t v) {
    if (v < 1) {
      c.invalid(formatv("{0} must be positive, got {1}", field, v));
      return false;
    }
    int64_t limit = field == "num_hidden_layers" ? kMaxLayers : kMaxSize;
    if (v > limit) {
      c.invalid(formatv("{0} = {1} exceeds {2}, the largest value "
                        "moefold-import accepts",
                        field, v, limit));
      return false;
    }
    return true;
  };
  bool ok = positive("vocab_size", m.vocab) &
            positive("hidden_size", m.hidden) &
            positive("num_hidden_layers", m.numLayers) &
            positive("num_attention_heads", m.numHeads);
  if (m.numKVHeads == kKVHeadsFromHeads)
    m.numKVHeads = m.numHeads;
  else
    ok &= positive("num_key_value_heads", m.numKVHeads);
  if (m.numMoELayers() > 0) {
    ok &= positive(expertsField, m.numExperts) &
          positive("num_experts_per_tok", m.topK) &
          positive(m.modelType == "mixtral" ? "intermediate_size"
                                            : "moe_intermediate_size",
                   m.expertFfn);
    if (m.modelType == "qwen2_moe")
      ok &= positive("shared_expert_intermediate_size", m.sharedFfn);
  }
  if (llvm::is_contained(m.moeLayers, false))
    ok &= positive("intermediate_size", m.denseFfn);
  if (!ok)
    return;

  bool headDimOk = true;
  if (m.headDim == kDeriveHeadDim) {
    headDimOk = m.hidden % m.numHeads == 0;
    if (!headDimOk)
      c.invalid(formatv("hidden_size = {0} is not divisible by "
                        "num_attention_heads = {1} (set head_dim for another "
                        "head size)",
                        m.hidden, m.numHeads));
    m.headDim = m.hidden / m.numHeads;
  } else if (m.headDim < 1) {
    c.invalid(formatv("head_dim must be positive, got {0}", m.headDim));
    headDimOk = false;
  }
  if (m.numHeads % m.numKVHeads != 0)
    c.invalid(formatv("num_attention_heads = {0} is not a multiple of "
                      "num_key_value_heads = {1}",
                      m.numHeads, m.numKVHeads));
  if (headDimOk && m.headDim > 0 && m.headDim % 2 != 0)
    c.invalid(formatv("the head dimension {0} is odd: rotary embeddings "
                      "rotate pairs of elements",
                      m.headDim));
  if (m.numMoELayers() > 0 && m.topK > m.numExperts)
    c.invalid(formatv("num_experts_per_tok = {0} exceeds {1} = {2}", m.topK,
                      expertsField, m.numExperts));
  if (m.numMoELayers() == 0)
    c.note(formatv("no layer is a MoE layer: importing a dense model"));

  // The placements shard heads, widths and experts over the mesh.
  auto divides = [&](StringRef axis, int64_t n, StringRef what, int64_t v) {
    if (n > 1 && v % n != 0)
      c.invalid(formatv("--mesh: {0} = {1} does not divide {2} = {3}", axis, n,
                        what, v));
  };
  if (int64_t dp = opts.world / opts.tp; opts.batch % dp != 0)
    c.invalid(formatv("--batch {0} is not divisible by dp = {1} (world / "
                      "tp): the batch is split over dp",
                      opts.batch, dp));
  divides("tp", opts.tp, "vocab_size", m.vocab);
  divides("tp", opts.tp, "num_attention_heads", m.numHeads);
  divides("tp", opts.tp, "num_key_value_heads", m.numKVHeads);
  if (llvm::is_contained(m.moeLayers, false))
    divides("tp", opts.tp, "intermediate_size", m.denseFfn);
  if (m.numMoELayers() > 0) {
    divides("ep", opts.ep, expertsField, m.numExperts);
    if (m.sharedFfn > 0)
      divides("tp", opts.tp, "the shared expert width", m.sharedFfn);
  }
}

/// "[3:14, byte=40]: Expected , or }" -> line 3, column 14.
std::string formatJsonError(StringRef path, llvm::Error err) {
  std::string message = llvm::toString(std::move(err));
  unsigned line = 0, column = 0, offset = 0;
  char rest[512] = {0};
  if (std::sscanf(message.c_str(), "[%u:%u, byte=%u]: %511[^\n]", &line,
                  &column, &offset, rest) == 4)
    // llvm::json counts columns from the character after the one it
    // stopped on (so, 1-based, the offending character), 0 at the end of
    // the input.
    return formatv("{0}:{1}:{2}: invalid JSON: {3}", path, line,
                   std::max(column, 1u), rest)
        .str();
  return formatv("{0}: invalid JSON: {1}", path, message).str();
}

} // namespace

std::optional<ModelSpec>
moefold::import::readConfig(StringRef path, StringRef text,
                            const ReaderOptions &options, Diagnostics &diags) {
  llvm::Expected<json::Value> parsed = json::parse(text);
  if (!parsed) {
    diags.errors.push_back(formatJsonError(path, parsed.takeError()));
    return std::nullopt;
  }
  const json::Object *object = parsed->getAsObject();
  if (!object) {
    diags.errors.push_back(
        formatv("{0}: expected a JSON object at the top level", path).str());
    return std::nullopt;
  }

  // The family: model_type, cross-checked with architectures.
  std::optional<StringRef> modelType;
  if (const json::Value *v = object->get("model_type")) {
    modelType = v->getAsString();
    if (!modelType) {
      diags.errors.push_back(
          formatv("{0}: 'model_type' must be a string", path).str());
      return std::nullopt;
    }
  }
  std::vector<std::string> architectures;
  if (const json::Value *v = object->get("architectures")) {
    const json::Array *list = v->getAsArray();
    for (size_t i = 0; list && i < list->size(); ++i)
      if (std::optional<StringRef> s = (*list)[i].getAsString())
        architectures.push_back(s->str());
    if (!list || architectures.size() != list->size()) {
      diags.errors.push_back(
          formatv("{0}: 'architectures' must be a list of class names", path)
              .str());
      return std::nullopt;
    }
  }
  std::string archList = llvm::join(architectures, ", ");
  const Family *family = nullptr;
  if (modelType) {
    for (const Family &f : kFamilies)
      if (f.modelType == *modelType)
        family = &f;
  } else {
    for (const Family &f : kFamilies)
      if (llvm::is_contained(architectures, f.architecture))
        family = &f;
    if (family)
      diags.notes.push_back(formatv("'model_type' is absent: the "
                                    "architecture {0} is model_type '{1}'",
                                    family->architecture, family->modelType)
                                .str());
  }
  std::string supported =
      "supported: mixtral (MixtralForCausalLM), qwen2_moe "
      "(Qwen2MoeForCausalLM), qwen3_moe (Qwen3MoeForCausalLM), deepseek_v3 "
      "(DeepseekV3ForCausalLM)";
  if (!family) {
    for (const RejectedFamily &r : kRejectedFamilies)
      if ((modelType && *modelType == r.modelType) ||
          llvm::is_contained(architectures, r.architecture)) {
        diags.errors.push_back(
            formatv("{0}: model_type '{1}' ({2}) is not supported: {3}", path,
                    r.modelType, r.architecture, r.reason)
                .str());
        return std::nullopt;
      }
    if (!modelType && architectures.empty())
      diags.errors.push_back(
          formatv("{0}: no 'model_type' and no 'architectures': cannot tell "
                  "the model family ({1})",
                  path, supported)
              .str());
    else
      diags.errors.push_back(
          formatv("{0}: unsupported architecture: model_type '{1}', "
                  "architectures [{2}] ({3})",
                  path, modelType ? *modelType : "<absent>", archList,
                  supported)
              .str());
    return std::nullopt;
  }
  for (const std::string &arch : architectures)
    if (arch != family->architecture) {
      diags.errors.push_back(
          formatv("{0}: architectures [{1}] do not match model_type '{2}': "
                  "moefold-import builds the causal LM {3}",
                  path, archList, family->modelType, family->architecture)
              .str());
      return std::nullopt;
    }

  ModelSpec m;
  m.modelType = family->modelType.str();
  m.architecture = family->architecture.str();
  Config c(*object, m.modelType, diags);
  c.has("model_type");
  c.has("architectures");
  const ImportOptions &opts = options.import;
  StringRef expertsField;
  if (m.modelType == "mixtral") {
    readMixtral(c, m, opts);
    expertsField = "num_local_experts";
  } else if (m.modelType == "qwen2_moe") {
    readQwen2Moe(c, m, opts);
    expertsField = "num_experts";
  } else if (m.modelType == "qwen3_moe") {
    readQwen3Moe(c, m, opts);
    expertsField = "num_experts";
  } else {
    readDeepseekV3(c, m, opts);
    expertsField = "n_routed_experts";
  }

  std::string where = formatv("{0} (model_type '{1}')", path, m.modelType);
  if (!c.missing.empty())
    diags.errors.push_back(formatv("{0}: missing required fields: {1}", where,
                                   llvm::join(c.missing, ", "))
                               .str());
  if (c.missing.empty() && !c.hadTypeErrors())
    checkSizes(c, m, expertsField, opts);
  for (const std::string &message : c.invalidValues)
    diags.errors.push_back(formatv("{0}: {1}", where, message).str());
  if (!c.unsupportedFields.empty()) {
    diags.errors.push_back(
        formatv("{0}: {1} field(s) change the model in ways moefold cannot "
                "express:",
                where, c.unsupportedFields.size())
            .str());
    for (const std::string &field : c.unsupportedFields)
      diags.errors.push_back("  " + field);
  }

  std::vector<std::string> unknown;
  for (const std::string &key : c.unconsulted()) {
    if (llvm::is_contained(kHarmlessFields, key))
      c.ignored.push_back(key);
    else
      unknown.push_back(key);
  }
  if (!unknown.empty()) {
    std::string list = llvm::join(unknown, ", ");
    if (options.allowUnknownFields)
      diags.notes.push_back(
          formatv("ignoring unknown fields (--allow-unknown-fields): {0}", list)
              .str());
    else
      diags.errors.push_back(
          formatv("{0}: unknown fields: {1} (moefold-import cannot tell "
                  "whether they change the model; remove them or pass "
                  "--allow-unknown-fields)",
                  where, list)
              .str());
  }
  if (!c.ignored.empty()) {
    llvm::sort(c.ignored);
    diags.notes.push_back(formatv("ignoring fields that do not change the "
                                  "training math: {0}",
                                  llvm::join(c.ignored, ", "))
                              .str());
  }
  if (!diags.errors.empty())
    return std::nullopt;
  return m;
}

std::string moefold::import::parseMeshSpec(StringRef spec,
                                           ImportOptions &options) {
  llvm::SmallVector<StringRef> parts;
  spec.split(parts, ',');
  std::optional<int64_t> world, tp, ep, etp, dp, edp;
  for (StringRef part : parts) {
    auto [key, value] = part.split('=');
    key = key.trim();
    value = value.trim();
    int64_t n = 0;
    if (key.empty() || value.empty() || value.getAsInteger(10, n) || n < 1)
      return formatv("invalid --mesh '{0}': expected name=N entries with "
                     "N >= 1, got '{1}'",
                     spec, part);
    std::optional<int64_t> *slot =
        llvm::StringSwitch<std::optional<int64_t> *>(key)
            .Case("world", &world)
            .Case("tp", &tp)
            .Case("ep", &ep)
            .Case("etp", &etp)
            .Case("dp", &dp)
            .Case("edp", &edp)
            .Default(nullptr);
    if (!slot)
      return formatv("invalid --mesh '{0}': unknown axis '{1}' (world, tp, "
                     "ep, etp, dp, edp)",
                     spec, key);
    if (*slot)
      return formatv("invalid --mesh '{0}': axis '{1}' given twice", spec, key);
    *slot = n;
  }
  if (!world)
    return formatv("invalid --mesh '{0}': world=N is required", spec);
  llvm::Expected<moefold::placement::MeshLayout> layout =
      moefold::placement::MeshLayout::create(*world, tp.value_or(1),
                                             ep.value_or(1), etp.value_or(1));
  if (!layout)
    return formatv("invalid --mesh '{0}': {1}", spec,
                   llvm::toString(layout.takeError()));
  if (dp && *dp != layout->getDp())
    return formatv("invalid --mesh '{0}': dp = {1}, but world / tp = {2}", spec,
                   *dp, layout->getDp());
  if (edp && *edp != layout->getEdp())
    return formatv("invalid --mesh '{0}': edp = {1}, but world / (ep * etp) "
                   "= {2}",
                   spec, *edp, layout->getEdp());
  options.world = *world;
  options.tp = tp.value_or(1);
  if (etp.value_or(1) > 1 && ep.value_or(1) == 1)
    return formatv("invalid --mesh '{0}': etp = {1} needs ep > 1 (experts "
                   "split on their FFN width over etp are also split by "
                   "expert over ep)",
                   spec, *etp);
  options.ep = ep.value_or(1);
  options.etp = etp.value_or(1);
  return "";
}
