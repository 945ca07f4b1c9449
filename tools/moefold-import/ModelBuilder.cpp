//===- ModelBuilder.cpp - ModelSpec -> moe-dialect module -----------------===//
//
// The decoder is the Llama/Mixtral pre-norm block, per layer:
//
//   h += o_proj(attention(rope(q_proj(x)), rope(k_proj(x)), v_proj(x))),
//        (Qwen3-MoE: rope(q_norm(q_proj(x))), per head, likewise k)
//        x = rms_norm(h)                                  (input_layernorm)
//   h += mlp(rms_norm(h))                        (post_attention_layernorm)
//
// where mlp is a sparse MoE block (router -> dispatch -> experts -> combine,
// plus a shared expert) or a dense SwiGLU MLP. Parameters are declared in
// the order the forward pass first reads them, each right before the
// function, with its Hugging Face name (docs/import.md has the mapping).
//
//===----------------------------------------------------------------------===//

#include "ModelBuilder.h"

#include "moefold/Dialect/MoE/IR/MoEAttrs.h"
#include "moefold/Dialect/MoE/IR/MoEOps.h"
#include "moefold/Dialect/SPMD/IR/SPMDAttrs.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace moefold;
using namespace moefold::import;
using moe::Family;

namespace {

/// How a parameter is laid out over the mesh the module declares.
enum class Shard {
  Replicated, ///< no placement
  RowsTp,     ///< S(0) on tp: row-parallel weights, vocab-parallel embedding
  ColumnsTp,  ///< S(1) on tp: column-parallel weights
  /// S(0) on ep (expert view): stacked routed experts; with etp > 1 also
  /// the FFN width over etp: dim 2 of w_gate / w_up [E, H, F] (FfnLast),
  /// dim 1 of w_down [E, F, H] (FfnMiddle).
  ExpertsEpFfnLast,
  ExpertsEpFfnMiddle,
};

class ModelBuilder {
public:
  ModelBuilder(MLIRContext &ctx, const ModelSpec &spec,
               const ImportOptions &opts)
      : ctx(ctx), spec(spec), opts(opts), b(&ctx), decl(&ctx),
        f32(Float32Type::get(&ctx)) {}

  OwningOpRef<ModuleOp> build();

private:
  Location at(const Twine &name) {
    return NameLoc::get(StringAttr::get(&ctx, name));
  }
  RankedTensorType tensor(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, f32);
  }

  /// Declares `moe.param @name` (before the function) and reads it at the
  /// current point of the body.
  Value param(const std::string &name, ArrayRef<int64_t> shape, Family family,
              Shard shard, moe::InitKind init);
  Value normal(const std::string &name, ArrayRef<int64_t> shape, Family family,
               Shard shard) {
    return param(name, shape, family, shard, moe::InitKind::Normal);
  }

  Value linear(Value x, Value w, Location loc) {
    return moe::LinearOp::create(b, loc, x, w);
  }
  Value add(Value lhs, Value rhs, Location loc) {
    return moe::AddOp::create(b, loc, lhs, rhs);
  }
  Value rmsNorm(Value x, const std::string &prefix);
  /// x @ W (+ bias): [B, S, H] -> [B, S, width].
  Value projection(Value x, const std::string &prefix, int64_t width,
                   bool bias);
  Value attention(Value x, const std::string &prefix);
  Value denseMlp(Value x, const std::string &prefix);
  Value moeBlock(Value x, const std::string &prefix,
                 SmallVectorImpl<Value> &auxLosses);

  MLIRContext &ctx;
  const ModelSpec &spec;
  const ImportOptions &opts;
  OpBuilder b;    ///< the function body
  OpBuilder decl; ///< module level, before the function
  Type f32;
  /// [B, S, 1] of ones: a bias [1, N] becomes ones @ bias, broadcast over
  /// the tokens, whose gradient is the sum over the tokens.
  Value ones;
};

Value ModelBuilder::param(const std::string &name, ArrayRef<int64_t> shape,
                          Family family, Shard shard, moe::InitKind init) {
  RankedTensorType type = tensor(shape);
  spmd::PlacementAttr placement;
  if (shard != Shard::Replicated) {
    bool expert = shard == Shard::ExpertsEpFfnLast ||
                  shard == Shard::ExpertsEpFfnMiddle;
    int64_t dim = shard == Shard::ColumnsTp ? 1 : 0;
    SmallVector<StringAttr> axes = {
        StringAttr::get(&ctx, expert ? "ep" : "tp")};
    SmallVector<spmd::AxisPlacementAttr> kinds = {
        spmd::AxisPlacementAttr::getSharded(&ctx, dim)};
    if (expert && opts.etp > 1) {
      axes.push_back(StringAttr::get(&ctx, "etp"));
      kinds.push_back(spmd::AxisPlacementAttr::getSharded(
          &ctx, shard == Shard::ExpertsEpFfnLast ? 2 : 1));
    }
    placement = spmd::PlacementAttr::get(
        &ctx, FlatSymbolRefAttr::get(&ctx, "mesh"),
        StringAttr::get(&ctx, expert ? "expert" : "dense"), axes, kinds);
  }
  double value = init == moe::InitKind::Normal ? spec.initializerRange : 0.0;
  moe::ParamOp::create(decl, at(name), name, type, family, placement,
                       moe::InitAttr::get(&ctx, init, value));
  return moe::GetParamOp::create(b, at(name), type, name);
}

Value ModelBuilder::rmsNorm(Value x, const std::string &prefix) {
  Value w = param(prefix + ".weight", {spec.hidden}, Family::Norm,
                  Shard::Replicated, moe::InitKind::Ones);
  return moe::RMSNormOp::create(b, at(prefix), x, w,
                                llvm::APFloat(spec.rmsNormEps));
}

Value ModelBuilder::projection(Value x, const std::string &prefix,
                               int64_t width, bool bias) {
  Location loc = at(prefix);
  Value w = normal(prefix + ".weight", {spec.hidden, width}, Family::Dense,
                   Shard::ColumnsTp);
  Value y = linear(x, w, loc);
  if (!bias)
    return y;
  if (!ones)
    ones = moe::FillOp::create(b, at("ones"), tensor({opts.batch, opts.seq, 1}),
                               1.0);
  Value bw = param(prefix + ".bias", {1, width}, Family::Dense,
                   Shard::ColumnsTp, moe::InitKind::Zeros);
  return add(y, linear(ones, bw, loc), loc);
}

Value ModelBuilder::attention(Value x, const std::string &prefix) {
  int64_t qWidth = spec.numHeads * spec.headDim;
  int64_t kvWidth = spec.numKVHeads * spec.headDim;
  Value q = projection(x, prefix + ".q_proj", qWidth, spec.qkvBias);
  Value k = projection(x, prefix + ".k_proj", kvWidth, spec.qkvBias);
  Value v = projection(x, prefix + ".v_proj", kvWidth, spec.qkvBias);
  SmallVector<Value, 2> qkNorm;
  FloatAttr epsilon;
  if (spec.qkNorm) {
    for (const char *name : {".q_norm", ".k_norm"})
      qkNorm.push_back(param(prefix + name + ".weight", {spec.headDim},
                             Family::Norm, Shard::Replicated,
                             moe::InitKind::Ones));
    epsilon = b.getF64FloatAttr(spec.rmsNormEps);
  }
  Value a = moe::AttentionOp::create(
      b, at(prefix), q, k, v, qkNorm, static_cast<uint64_t>(spec.numHeads),
      static_cast<uint64_t>(spec.numKVHeads), /*causal=*/true,
      b.getF64FloatAttr(spec.ropeTheta), epsilon);
  Value wo = normal(prefix + ".o_proj.weight", {qWidth, spec.hidden},
                    Family::Dense, Shard::RowsTp);
  return linear(a, wo, at(prefix + ".o_proj"));
}

Value ModelBuilder::denseMlp(Value x, const std::string &prefix) {
  Location loc = at(prefix);
  int64_t f = spec.denseFfn;
  Value g = linear(x,
                   normal(prefix + ".gate_proj.weight", {spec.hidden, f},
                          Family::Dense, Shard::ColumnsTp),
                   loc);
  Value u = linear(x,
                   normal(prefix + ".up_proj.weight", {spec.hidden, f},
                          Family::Dense, Shard::ColumnsTp),
                   loc);
  Value act = moe::SwiGLUOp::create(b, loc, g, u);
  return linear(act,
                normal(prefix + ".down_proj.weight", {f, spec.hidden},
                       Family::Dense, Shard::RowsTp),
                loc);
}

Value ModelBuilder::moeBlock(Value x, const std::string &prefix,
                             SmallVectorImpl<Value> &auxLosses) {
  Location loc = at(prefix);
  int64_t h = spec.hidden, e = spec.numExperts, f = spec.expertFfn;

  Value router = normal(prefix + ".gate.weight", {h, e}, Family::Router,
                        Shard::Replicated);
  Value bias;
  if (spec.expertBias)
    // A buffer in Hugging Face, updated by the balancing rule rather than by
    // gradients; moe-autodiff gives it a zero gradient. Family `dense`:
    // the `router` family is reserved for [H, E] weights.
    bias = param(prefix + ".gate.e_score_correction_bias", {e}, Family::Dense,
                 Shard::Replicated, moe::InitKind::Zeros);
  auto route = moe::RouterOp::create(
      b, at(prefix + ".gate"), x, router, bias,
      spec.scoring == RouterScoring::Softmax ? moe::Scoring::Softmax
                                             : moe::Scoring::Sigmoid,
      static_cast<uint64_t>(spec.topK), spec.renormalize);
  auto dispatch = moe::DispatchOp::create(b, loc, x, route.getIndices(),
                                          /*scores=*/Value(),
                                          static_cast<uint64_t>(e));
  std::string experts = prefix + ".experts.";
  Value wGate = normal(experts + spec.names.expertGate + ".weight", {e, h, f},
                       Family::RoutedExpert, Shard::ExpertsEpFfnLast);
  Value wUp = normal(experts + spec.names.expertUp + ".weight", {e, h, f},
                     Family::RoutedExpert, Shard::ExpertsEpFfnLast);
  Value wDown = normal(experts + spec.names.expertDown + ".weight", {e, f, h},
                       Family::RoutedExpert, Shard::ExpertsEpFfnMiddle);
  Value expertOut =
      moe::ExpertsOp::create(b, at(prefix + ".experts"), dispatch.getSorted(),
                             dispatch.getGroupSizes(), wGate, wUp, wDown);
  Value out = moe::CombineOp::create(b, loc, expertOut, route.getIndices(),
                                     route.getScores());

  if (spec.sharedFfn > 0) {
    std::string shared = prefix + "." + spec.names.sharedExpert;
    int64_t fs = spec.sharedFfn;
    Value sGate = normal(shared + ".gate_proj.weight", {h, fs},
                         Family::SharedExpert, Shard::ColumnsTp);
    Value sUp = normal(shared + ".up_proj.weight", {h, fs},
                       Family::SharedExpert, Shard::ColumnsTp);
    Value sDown = normal(shared + ".down_proj.weight", {fs, h},
                         Family::SharedExpert, Shard::RowsTp);
    Value gate;
    if (spec.sharedGate)
      gate = normal(prefix + ".shared_expert_gate.weight", {h, 1},
                    Family::SharedExpert, Shard::Replicated);
    Value s =
        moe::SharedExpertOp::create(b, at(shared), x, sGate, sUp, sDown, gate);
    out = add(out, s, loc);
  }

  if (spec.auxLossCoef > 0) {
    // Hugging Face: coef * E * sum_e (K f_e) P_e over the router logits of
    // every layer pooled; moe.aux_loss is c * E * sum_e f_e P_e per layer
    // (f_e over the T*K selections). c = coef * K / (MoE layers) equals the
    // pooled form for one MoE layer and at uniform routing.
    double c = spec.auxLossCoef * static_cast<double>(spec.topK) /
               static_cast<double>(spec.numMoELayers());
    auxLosses.push_back(moe::AuxLossOp::create(
        b, at(prefix + ".aux_loss"), route.getProbs(), route.getIndices(),
        static_cast<uint64_t>(e), llvm::APFloat(c)));
  }
  return out;
}

OwningOpRef<ModuleOp> ModelBuilder::build() {
  Location loc = at(spec.architecture);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder top = OpBuilder::atBlockEnd(module->getBody());
  // The Hugging Face model, for checkpoints: moefold-compile keeps these
  // entries of the module's metadata dictionary (kMetadataAttrName in
  // MoEToRuntime/Passes.h) and the runtime copies them into the index.
  (*module)->setAttr(
      "moefold.metadata",
      top.getDictionaryAttr(
          {top.getNamedAttr("hf_architecture",
                            top.getStringAttr(spec.architecture)),
           top.getNamedAttr("hf_model_type",
                            top.getStringAttr(spec.modelType))}));

  spmd::MeshOp::create(
      top, at("mesh"), "mesh", static_cast<uint64_t>(opts.world),
      top.getStrArrayAttr({"dp", "tp"}), {ShapedType::kDynamic, opts.tp},
      top.getStrArrayAttr({"edp", "ep", "etp"}),
      {ShapedType::kDynamic, opts.ep, opts.etp});

  auto tokens =
      RankedTensorType::get({opts.batch, opts.seq}, IntegerType::get(&ctx, 32));
  auto fn = func::FuncOp::create(
      top, loc, "train_step",
      FunctionType::get(&ctx, {tokens, tokens}, {tensor({})}));
  fn.setResultAttr(0, "moe.loss", UnitAttr::get(&ctx));
  Block *body = fn.addEntryBlock();
  decl.setInsertionPoint(fn);
  b.setInsertionPointToStart(body);

  Value h = moe::EmbeddingOp::create(b, at("model.embed_tokens"),
                                     normal("model.embed_tokens.weight",
                                            {spec.vocab, spec.hidden},
                                            Family::Embedding, Shard::RowsTp),
                                     body->getArgument(0));
  SmallVector<Value> auxLosses;
  for (int64_t i = 0; i < spec.numLayers; ++i) {
    std::string layer = "model.layers." + std::to_string(i);
    Location loc = at(layer);
    Value x = rmsNorm(h, layer + ".input_layernorm");
    h = add(h, attention(x, layer + ".self_attn"), loc);
    Value y = rmsNorm(h, layer + ".post_attention_layernorm");
    Value mlp = spec.moeLayers[i]
                    ? moeBlock(y, layer + "." + spec.names.moeBlock, auxLosses)
                    : denseMlp(y, layer + ".mlp");
    h = add(h, mlp, loc);
  }
  Value final = rmsNorm(h, "model.norm");
  Value logits = linear(final,
                        normal("lm_head.weight", {spec.hidden, spec.vocab},
                               Family::Dense, Shard::ColumnsTp),
                        at("lm_head"));
  Value loss =
      moe::CrossEntropyOp::create(b, at("loss"), logits, body->getArgument(1));
  for (Value aux : auxLosses)
    loss = add(loss, aux, at("loss"));
  func::ReturnOp::create(b, loc, loss);
  return module;
}

} // namespace

OwningOpRef<ModuleOp>
moefold::import::buildModel(MLIRContext &context, const ModelSpec &spec,
                            const ImportOptions &options) {
  return ModelBuilder(context, spec, options).build();
}
