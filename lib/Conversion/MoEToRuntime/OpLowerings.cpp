//===- OpLowerings.cpp - one runtime call per moe op ----------------------===//
//
// Each pattern allocates the op's results, casts operands and results to
// unranked memrefs and calls mfrt_mlir_<op>_<fwd|bwd>_<f32|f64> with the
// arguments in the order: operands, attributes, results (runtime/mlir_abi/
// Shims.cpp defines the other side).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "moefold/Dialect/MoE/IR/MoEOps.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace moefold;
using namespace moefold::lowering;

void moefold::lowering::populateTypeConversion(TypeConverter &converter) {
  converter.addConversion([](Type type) { return type; });
  converter.addConversion([](RankedTensorType type) -> Type {
    return MemRefType::get(type.getShape(), type.getElementType());
  });
  auto cast = [](OpBuilder &b, Type type, ValueRange inputs,
                 Location loc) -> Value {
    return UnrealizedConversionCastOp::create(b, loc, type, inputs)
        .getResult(0);
  };
  converter.addSourceMaterialization(cast);
  converter.addTargetMaterialization(cast);
}

namespace {

template <typename OpTy> struct RuntimePattern : OpConversionPattern<OpTy> {
  RuntimePattern(TypeConverter &converter, MLIRContext *ctx,
                 LoweringState &state)
      : OpConversionPattern<OpTy>(converter, ctx), state(state) {}
  LoweringState &state;
};

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

/// memref.get_global of the parameter's global; a copy when the value
/// outlives a later set_param of the same symbol.
template <typename OpTy> struct GetBufferLowering : RuntimePattern<OpTy> {
  using RuntimePattern<OpTy>::RuntimePattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    auto it = this->state.buffers.find(op.getName());
    if (it == this->state.buffers.end())
      return rw.notifyMatchFailure(op, "unknown buffer symbol");
    MemRefType type = it->second.type;
    Value global = memref::GetGlobalOp::create(rw, op.getLoc(), type,
                                               it->second.globalName);
    if (!this->state.getsNeedingCopy.contains(op)) {
      rw.replaceOp(op, global);
      return success();
    }
    Value copy = memref::AllocOp::create(rw, op.getLoc(), type,
                                         rw.getI64IntegerAttr(64));
    memref::CopyOp::create(rw, op.getLoc(), global, copy);
    rw.replaceOp(op, copy);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Forward ops
//===----------------------------------------------------------------------===//

struct EmbeddingLowering : RuntimePattern<moe::EmbeddingOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::EmbeddingOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getTable()).buffer(a.getTokens()).buffer(out);
    c.call("embedding_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

struct RMSNormLowering : RuntimePattern<moe::RMSNormOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::RMSNormOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getX()).buffer(a.getWeight());
    c.f64(op.getEpsilonAttr().getValueAsDouble()).buffer(out);
    c.call("rms_norm_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

struct LinearLowering : RuntimePattern<moe::LinearOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::LinearOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getX()).buffer(a.getWeight()).buffer(out);
    c.call("linear_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

/// The runtime's rope_theta argument: 0 when the op has no rotary embedding.
double ropeThetaOrZero(FloatAttr ropeTheta) {
  return ropeTheta ? ropeTheta.getValueAsDouble() : 0.0;
}

/// moe.attention's `epsilon` of the q/k norm; absent means 1e-6.
double qkNormEpsilonOf(FloatAttr epsilon) {
  return epsilon ? epsilon.getValueAsDouble() : 1.0e-6;
}

struct AttentionLowering : RuntimePattern<moe::AttentionOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::AttentionOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getQ()).buffer(a.getK()).buffer(a.getV());
    // With q/k norm weights: the _qknorm entry point (weights, epsilon).
    bool qkNorm = !a.getQkNorm().empty();
    for (Value norm : a.getQkNorm())
      c.buffer(norm);
    c.i64(op.getNumHeads()).i64(op.getNumKvHeads()).i32(op.getCausal());
    c.f64(ropeThetaOrZero(op.getRopeThetaAttr()));
    if (qkNorm)
      c.f64(qkNormEpsilonOf(op.getEpsilonAttr()));
    c.buffer(out);
    c.call(qkNorm ? "attention_qknorm_fwd" : "attention_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

struct SwiGLULowering : RuntimePattern<moe::SwiGLUOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::SwiGLUOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getGate()).buffer(a.getUp()).buffer(out);
    c.call("swiglu_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

struct AddLowering : RuntimePattern<moe::AddOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::AddOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getLhs()).buffer(a.getRhs()).buffer(out);
    c.call("add_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

struct RouterLowering : RuntimePattern<moe::RouterOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::RouterOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value scores = c.alloc(op.getScores().getType());
    Value indices = c.alloc(op.getIndices().getType());
    Value probs = c.alloc(op.getProbs().getType());
    // Without a bias the shim ignores that argument; x stands in for it.
    Value bias = a.getBias() ? a.getBias() : a.getX();
    c.buffer(a.getX()).buffer(a.getWeight()).buffer(bias);
    c.i32(a.getBias() ? 1 : 0).i32(static_cast<int32_t>(op.getScoring()));
    c.i64(op.getTopK()).i32(op.getRenormalize());
    c.buffer(scores).buffer(indices).buffer(probs);
    c.call("router_fwd", op.getScores().getType());
    rw.replaceOp(op, ValueRange{scores, indices, probs});
    return success();
  }
};

struct DispatchLowering : RuntimePattern<moe::DispatchOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::DispatchOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value sorted = c.alloc(op.getSorted().getType());
    Value sizes = c.alloc(op.getGroupSizes().getType());
    c.buffer(a.getX()).buffer(a.getIndices());
    if (a.getScores())
      c.buffer(a.getScores());
    c.i64(op.getNumExperts()).buffer(sorted).buffer(sizes);
    c.call(a.getScores() ? "dispatch_scaled_fwd" : "dispatch_fwd",
           op.getSorted().getType());
    rw.replaceOp(op, ValueRange{sorted, sizes});
    return success();
  }
};

struct ExpertsLowering : RuntimePattern<moe::ExpertsOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::ExpertsOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getSorted()).buffer(a.getGroupSizes());
    c.buffer(a.getWGate()).buffer(a.getWUp()).buffer(a.getWDown());
    c.buffer(out);
    c.call("experts_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

/// Integer counts only: one runtime entry point, no float variants.
struct PeerCountsLowering : RuntimePattern<moe::PeerCountsOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::PeerCountsOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getCounts()).i64(op.getPeers()).buffer(out);
    c.callNamed((kShimPrefix + "peer_counts").str());
    rw.replaceOp(op, out);
    return success();
  }
};

/// The expert count behind a combine's indices (the op does not carry
/// it); 0 when none is visible, and the shim then uses max(indices) + 1,
/// which orders the rows the same way.
int64_t numExpertsOf(moe::CombineOp op) {
  return op.findNumExperts().value_or(0);
}

struct CombineLowering : RuntimePattern<moe::CombineOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::CombineOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getExpertOut()).buffer(a.getIndices());
    if (a.getScores())
      c.buffer(a.getScores());
    c.i64(numExpertsOf(op)).buffer(out);
    c.call(a.getScores() ? "combine_fwd" : "combine_sum_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

struct SharedExpertLowering : RuntimePattern<moe::SharedExpertOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::SharedExpertOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    Value gate = a.getGate() ? a.getGate() : a.getX();
    c.buffer(a.getX()).buffer(a.getWGate()).buffer(a.getWUp());
    c.buffer(a.getWDown()).buffer(gate).i32(a.getGate() ? 1 : 0);
    c.buffer(out);
    c.call("shared_expert_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

struct AuxLossLowering : RuntimePattern<moe::AuxLossOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::AuxLossOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getProbs()).buffer(a.getIndices());
    c.f64(op.getCoefficientAttr().getValueAsDouble()).buffer(out);
    c.call("aux_loss_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

/// The divisor of the mean: the token count of the global batch, the op's
/// `num_tokens` in a per-rank program, else all of `targets` (global
/// semantics).
template <typename OpTy> int64_t numTokensOf(OpTy op) {
  if (std::optional<uint64_t> n = op.getNumTokens())
    return static_cast<int64_t>(*n);
  return cast<RankedTensorType>(op.getTargets().getType()).getNumElements();
}

struct CrossEntropyLowering : RuntimePattern<moe::CrossEntropyOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::CrossEntropyOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getLogits()).buffer(a.getTargets());
    c.i64(numTokensOf(op)).buffer(out);
    c.call("cross_entropy_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Constants and state
//===----------------------------------------------------------------------===//

struct FillLowering : RuntimePattern<moe::FillOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::FillOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.f64(op.getValueAttr().getValueAsDouble()).buffer(out);
    c.call("fill_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

/// moe.pack / moe.unpack: one runtime copy per part into or out of its
/// slot of the bucket.
struct PackLowering : RuntimePattern<moe::PackOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::PackOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    Value bucket = CallBuilder(rw, op.getLoc(), state).alloc(op.getType());
    int64_t offset = 0;
    for (auto [part, type] : llvm::zip(a.getInputs(), op.getInputs().getTypes())) {
      CallBuilder c(rw, op.getLoc(), state);
      c.buffer(part).i64(offset).buffer(bucket);
      c.call("pack_fwd", op.getType());
      offset += cast<RankedTensorType>(type).getNumElements();
    }
    rw.replaceOp(op, bucket);
    return success();
  }
};

struct UnpackLowering : RuntimePattern<moe::UnpackOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::UnpackOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    SmallVector<Value> parts;
    int64_t offset = 0;
    for (Type type : op.getResults().getTypes()) {
      CallBuilder c(rw, op.getLoc(), state);
      Value part = c.alloc(type);
      c.buffer(a.getInput()).i64(offset).buffer(part);
      c.call("unpack_fwd", op.getInput().getType());
      parts.push_back(part);
      offset += cast<RankedTensorType>(type).getNumElements();
    }
    rw.replaceOp(op, parts);
    return success();
  }
};

/// set_param / set_state: memref.copy into the global.
template <typename OpTy> struct SetBufferLowering : RuntimePattern<OpTy> {
  using RuntimePattern<OpTy>::RuntimePattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rw) const override {
    auto it = this->state.buffers.find(op.getName());
    if (it == this->state.buffers.end())
      return rw.notifyMatchFailure(op, "unknown buffer symbol");
    Value global = memref::GetGlobalOp::create(rw, op.getLoc(), it->second.type,
                                               it->second.globalName);
    memref::CopyOp::create(rw, op.getLoc(), adaptor.getValue(), global);
    rw.eraseOp(op);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Gradient ops: forward operands, output gradients -> input gradients
//===----------------------------------------------------------------------===//

struct EmbeddingGradLowering : RuntimePattern<moe::EmbeddingGradOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::EmbeddingGradOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value dtable = c.alloc(op.getType());
    c.buffer(a.getTokens()).buffer(a.getDout()).buffer(dtable);
    c.call("embedding_bwd", op.getType());
    rw.replaceOp(op, dtable);
    return success();
  }
};

struct RMSNormGradLowering : RuntimePattern<moe::RMSNormGradOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::RMSNormGradOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value dx = c.alloc(op.getDx().getType());
    Value dw = c.alloc(op.getDweight().getType());
    c.buffer(a.getX()).buffer(a.getWeight()).buffer(a.getDout());
    c.f64(op.getEpsilonAttr().getValueAsDouble()).buffer(dx).buffer(dw);
    c.call("rms_norm_bwd", op.getDx().getType());
    rw.replaceOp(op, ValueRange{dx, dw});
    return success();
  }
};

struct LinearGradLowering : RuntimePattern<moe::LinearGradOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::LinearGradOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value dx = c.alloc(op.getDx().getType());
    Value dw = c.alloc(op.getDweight().getType());
    c.buffer(a.getX()).buffer(a.getWeight()).buffer(a.getDout());
    c.buffer(dx).buffer(dw);
    c.call("linear_bwd", op.getDx().getType());
    rw.replaceOp(op, ValueRange{dx, dw});
    return success();
  }
};

struct AttentionGradLowering : RuntimePattern<moe::AttentionGradOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::AttentionGradOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value dq = c.alloc(op.getDq().getType());
    Value dk = c.alloc(op.getDk().getType());
    Value dv = c.alloc(op.getDv().getType());
    SmallVector<Value> results = {dq, dk, dv};
    for (Value dnorm : op.getDqkNorm())
      results.push_back(c.alloc(dnorm.getType()));
    bool qkNorm = results.size() > 3;
    c.buffer(a.getQ()).buffer(a.getK()).buffer(a.getV()).buffer(a.getDout());
    for (Value norm : a.getQkNorm())
      c.buffer(norm);
    c.i64(op.getNumHeads()).i64(op.getNumKvHeads()).i32(op.getCausal());
    c.f64(ropeThetaOrZero(op.getRopeThetaAttr()));
    if (qkNorm)
      c.f64(qkNormEpsilonOf(op.getEpsilonAttr()));
    for (Value r : results)
      c.buffer(r);
    c.call(qkNorm ? "attention_qknorm_bwd" : "attention_bwd",
           op.getDq().getType());
    rw.replaceOp(op, results);
    return success();
  }
};

struct SwiGLUGradLowering : RuntimePattern<moe::SwiGLUGradOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::SwiGLUGradOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value dgate = c.alloc(op.getDgate().getType());
    Value dup = c.alloc(op.getDup().getType());
    c.buffer(a.getGate()).buffer(a.getUp()).buffer(a.getDout());
    c.buffer(dgate).buffer(dup);
    c.call("swiglu_bwd", op.getDgate().getType());
    rw.replaceOp(op, ValueRange{dgate, dup});
    return success();
  }
};

struct RouterGradLowering : RuntimePattern<moe::RouterGradOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::RouterGradOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value dx = c.alloc(op.getDx().getType());
    Value dw = c.alloc(op.getDweight().getType());
    c.buffer(a.getX()).buffer(a.getWeight()).buffer(a.getProbs());
    c.buffer(a.getIndices()).buffer(a.getDscores()).buffer(a.getDprobs());
    c.i32(static_cast<int32_t>(op.getScoring())).i32(op.getRenormalize());
    c.buffer(dx).buffer(dw);
    c.call("router_bwd", op.getDx().getType());
    rw.replaceOp(op, ValueRange{dx, dw});
    return success();
  }
};

struct DispatchGradLowering : RuntimePattern<moe::DispatchGradOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::DispatchGradOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value dx = c.alloc(op.getDx().getType());
    if (!a.getScores()) {
      c.buffer(a.getIndices()).buffer(a.getDsorted()).i64(op.getNumExperts());
      c.buffer(dx);
      c.call("dispatch_bwd", op.getDx().getType());
      rw.replaceOp(op, dx);
      return success();
    }
    Value dscores = c.alloc(op.getDscores().getType());
    c.buffer(a.getX()).buffer(a.getIndices()).buffer(a.getScores());
    c.buffer(a.getDsorted()).i64(op.getNumExperts());
    c.buffer(dx).buffer(dscores);
    c.call("dispatch_scaled_bwd", op.getDx().getType());
    rw.replaceOp(op, ValueRange{dx, dscores});
    return success();
  }
};

struct ExpertsGradLowering : RuntimePattern<moe::ExpertsGradOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::ExpertsGradOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    SmallVector<Value> results;
    for (Value r : op->getResults())
      results.push_back(c.alloc(r.getType()));
    c.buffer(a.getSorted()).buffer(a.getGroupSizes()).buffer(a.getWGate());
    c.buffer(a.getWUp()).buffer(a.getWDown()).buffer(a.getDout());
    for (Value r : results)
      c.buffer(r);
    c.call("experts_bwd", op.getDsorted().getType());
    rw.replaceOp(op, results);
    return success();
  }
};

struct CombineGradLowering : RuntimePattern<moe::CombineGradOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::CombineGradOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value dout = c.alloc(op.getDexpertOut().getType());
    if (!a.getScores()) {
      c.buffer(a.getExpertOut()).buffer(a.getIndices()).buffer(a.getDout());
      c.i64(op.getNumExperts()).buffer(dout);
      c.call("combine_sum_bwd", op.getDexpertOut().getType());
      rw.replaceOp(op, dout);
      return success();
    }
    Value dscores = c.alloc(op.getDscores().getType());
    c.buffer(a.getExpertOut()).buffer(a.getIndices()).buffer(a.getScores());
    c.buffer(a.getDout()).i64(op.getNumExperts());
    c.buffer(dout).buffer(dscores);
    c.call("combine_bwd", op.getDexpertOut().getType());
    rw.replaceOp(op, ValueRange{dout, dscores});
    return success();
  }
};

struct SharedExpertGradLowering : RuntimePattern<moe::SharedExpertGradOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::SharedExpertGradOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    SmallVector<Value> results;
    for (Value r : op->getResults())
      results.push_back(c.alloc(r.getType()));
    bool gated = static_cast<bool>(a.getGate());
    c.buffer(a.getX()).buffer(a.getWGate()).buffer(a.getWUp());
    c.buffer(a.getWDown()).buffer(gated ? a.getGate() : a.getX());
    c.buffer(a.getDout()).i32(gated ? 1 : 0);
    for (Value r : results)
      c.buffer(r);
    // Without a gate there is no dgate: the shim ignores that argument.
    if (!gated)
      c.buffer(results.front());
    c.call("shared_expert_bwd", op.getDx().getType());
    rw.replaceOp(op, results);
    return success();
  }
};

struct AuxLossGradLowering : RuntimePattern<moe::AuxLossGradOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::AuxLossGradOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value dprobs = c.alloc(op.getType());
    c.buffer(a.getProbs()).buffer(a.getIndices()).buffer(a.getDloss());
    c.f64(op.getCoefficientAttr().getValueAsDouble()).buffer(dprobs);
    c.call("aux_loss_bwd", op.getType());
    rw.replaceOp(op, dprobs);
    return success();
  }
};

struct CrossEntropyGradLowering : RuntimePattern<moe::CrossEntropyGradOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::CrossEntropyGradOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value dlogits = c.alloc(op.getType());
    c.buffer(a.getLogits()).buffer(a.getTargets()).buffer(a.getDloss());
    c.i64(numTokensOf(op)).buffer(dlogits);
    c.call("cross_entropy_bwd", op.getType());
    rw.replaceOp(op, dlogits);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Vocab-parallel cross-entropy
//===----------------------------------------------------------------------===//

/// The per-token statistics: logits [, offset] [, max | targets] -> [B, S].
struct VocabMaxLowering : RuntimePattern<moe::VocabMaxOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::VocabMaxOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    // The offset only identifies the shard; the maximum does not need it.
    c.buffer(a.getLogits()).buffer(out);
    c.call("vocab_max_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

struct VocabSumExpLowering : RuntimePattern<moe::VocabSumExpOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::VocabSumExpOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getLogits()).buffer(a.getMax()).buffer(out);
    c.call("vocab_sumexp_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

struct VocabTargetLogitLowering : RuntimePattern<moe::VocabTargetLogitOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::VocabTargetLogitOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getLogits()).buffer(a.getOffset()).buffer(a.getTargets());
    c.i64(op.getVocabSize()).buffer(out);
    c.call("vocab_target_logit_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

struct VocabCrossEntropyLowering : RuntimePattern<moe::VocabCrossEntropyOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::VocabCrossEntropyOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getMax()).buffer(a.getSumexp()).buffer(a.getTargetLogit());
    c.i64(op.getNumTokens()).buffer(out);
    c.call("vocab_cross_entropy_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

struct VocabCrossEntropyGradLowering
    : RuntimePattern<moe::VocabCrossEntropyGradOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::VocabCrossEntropyGradOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value dlogits = c.alloc(op.getType());
    c.buffer(a.getLogits()).buffer(a.getOffset()).buffer(a.getTargets());
    c.buffer(a.getMax()).buffer(a.getSumexp()).buffer(a.getDloss());
    c.i64(op.getNumTokens()).buffer(dlogits);
    c.call("vocab_cross_entropy_bwd", op.getType());
    rw.replaceOp(op, dlogits);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Norm, clipping, optimizers
//===----------------------------------------------------------------------===//

/// One sum_squares call per operand (f64 results summed in operand order),
/// then global_norm stores the square root.
struct GlobalNormLowering : RuntimePattern<moe::GlobalNormOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::GlobalNormOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    Value norm = memref::AllocOp::create(rw, loc, memrefTypeOf(op.getType()),
                                         rw.getI64IntegerAttr(64));
    Value acc =
        arith::ConstantFloatOp::create(rw, loc, rw.getF64Type(), APFloat(0.0));
    for (Value g : a.getGrads()) {
      CallBuilder c(rw, loc, state);
      c.buffer(g);
      Value s =
          c.call("sum_squares", g.getType(), rw.getF64Type()).getResult(0);
      acc = arith::AddFOp::create(rw, loc, acc, s);
    }
    CallBuilder c(rw, loc, state);
    c.value(acc).buffer(norm);
    c.call("global_norm", op.getType());
    rw.replaceOp(op, norm);
    return success();
  }
};

struct ClipScaleLowering : RuntimePattern<moe::ClipScaleOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::ClipScaleOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value scale = c.alloc(op.getScale().getType());
    Value apply = c.alloc(op.getApply().getType());
    c.scalarF64(a.getNorm()).f64(op.getMaxNormAttr().getValueAsDouble());
    c.buffer(scale).buffer(apply);
    c.call("clip_scale", op.getScale().getType());
    rw.replaceOp(op, ValueRange{scale, apply});
    return success();
  }
};

struct SGDStepLowering : RuntimePattern<moe::SGDStepOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::SGDStepOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getParam()).buffer(a.getGrad());
    c.scalarF64(a.getScale()).scalarF64(a.getLr()).flagI32(a.getApply());
    c.f64(op.getWeightDecayAttr().getValueAsDouble()).buffer(out);
    c.call("sgd_step", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

struct AdamWStepLowering : RuntimePattern<moe::AdamWStepOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult matchAndRewrite(moe::AdamWStepOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value p = c.alloc(op.getNewParam().getType());
    Value m = c.alloc(op.getNewM().getType());
    Value v = c.alloc(op.getNewV().getType());
    c.buffer(a.getParam()).buffer(a.getGrad()).buffer(a.getM());
    c.buffer(a.getV());
    c.scalarF64(a.getScale()).scalarF64(a.getLr()).scalarF64(a.getStep());
    c.flagI32(a.getApply());
    c.f64(op.getBeta1Attr().getValueAsDouble());
    c.f64(op.getBeta2Attr().getValueAsDouble());
    c.f64(op.getEpsilonAttr().getValueAsDouble());
    c.f64(op.getWeightDecayAttr().getValueAsDouble());
    c.buffer(p).buffer(m).buffer(v);
    c.call("adamw_step", op.getNewParam().getType());
    rw.replaceOp(op, ValueRange{p, m, v});
    return success();
  }
};

} // namespace

bool moefold::lowering::hasRuntimeLowering(StringRef opName) {
  static const llvm::StringSet<> names = {
      moe::ParamOp::getOperationName(),
      moe::GetParamOp::getOperationName(),
      moe::EmbeddingOp::getOperationName(),
      moe::RMSNormOp::getOperationName(),
      moe::LinearOp::getOperationName(),
      moe::AttentionOp::getOperationName(),
      moe::SwiGLUOp::getOperationName(),
      moe::AddOp::getOperationName(),
      moe::RouterOp::getOperationName(),
      moe::DispatchOp::getOperationName(),
      moe::ExpertsOp::getOperationName(),
      moe::PeerCountsOp::getOperationName(),
      moe::CombineOp::getOperationName(),
      moe::SharedExpertOp::getOperationName(),
      moe::AuxLossOp::getOperationName(),
      moe::CrossEntropyOp::getOperationName(),
      moe::FillOp::getOperationName(),
      moe::StateOp::getOperationName(),
      moe::GetStateOp::getOperationName(),
      moe::SetStateOp::getOperationName(),
      moe::SetParamOp::getOperationName(),
      moe::EmbeddingGradOp::getOperationName(),
      moe::RMSNormGradOp::getOperationName(),
      moe::LinearGradOp::getOperationName(),
      moe::AttentionGradOp::getOperationName(),
      moe::SwiGLUGradOp::getOperationName(),
      moe::RouterGradOp::getOperationName(),
      moe::DispatchGradOp::getOperationName(),
      moe::ExpertsGradOp::getOperationName(),
      moe::CombineGradOp::getOperationName(),
      moe::SharedExpertGradOp::getOperationName(),
      moe::AuxLossGradOp::getOperationName(),
      moe::CrossEntropyGradOp::getOperationName(),
      moe::VocabMaxOp::getOperationName(),
      moe::VocabSumExpOp::getOperationName(),
      moe::VocabTargetLogitOp::getOperationName(),
      moe::VocabCrossEntropyOp::getOperationName(),
      moe::VocabCrossEntropyGradOp::getOperationName(),
      moe::GlobalNormOp::getOperationName(),
      moe::ClipScaleOp::getOperationName(),
      moe::SGDStepOp::getOperationName(),
      moe::AdamWStepOp::getOperationName(),
      moe::PackOp::getOperationName(),
      moe::UnpackOp::getOperationName(),
      // Per-rank programs (SPMDLowerings.cpp).
      spmd::AllReduceOp::getOperationName(),
      spmd::AllGatherOp::getOperationName(),
      spmd::ReduceScatterOp::getOperationName(),
      spmd::AllToAllOp::getOperationName(),
      spmd::ConvertOp::getOperationName(),
      spmd::ReinterpretOp::getOperationName(),
  };
  return names.contains(opName);
}

void moefold::lowering::populateMoEToRuntimePatterns(
    TypeConverter &converter, RewritePatternSet &patterns,
    LoweringState &state) {
  patterns.add<
      GetBufferLowering<moe::GetParamOp>, EmbeddingLowering, RMSNormLowering,
      LinearLowering, AttentionLowering, SwiGLULowering, AddLowering,
      RouterLowering, DispatchLowering, ExpertsLowering, PeerCountsLowering,
      CombineLowering,
      SharedExpertLowering, AuxLossLowering, CrossEntropyLowering, FillLowering,
      GetBufferLowering<moe::GetStateOp>, SetBufferLowering<moe::SetParamOp>,
      SetBufferLowering<moe::SetStateOp>, EmbeddingGradLowering,
      RMSNormGradLowering, LinearGradLowering, AttentionGradLowering,
      SwiGLUGradLowering, RouterGradLowering, DispatchGradLowering,
      ExpertsGradLowering, CombineGradLowering, SharedExpertGradLowering,
      AuxLossGradLowering, CrossEntropyGradLowering, GlobalNormLowering,
      ClipScaleLowering, SGDStepLowering, AdamWStepLowering, PackLowering,
      UnpackLowering, VocabMaxLowering, VocabSumExpLowering,
      VocabTargetLogitLowering, VocabCrossEntropyLowering,
      VocabCrossEntropyGradLowering>(
      converter, patterns.getContext(), state);
}
