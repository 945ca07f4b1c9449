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

/// "f32" or "f64" for a float element type (the pass checked it first).
StringRef floatSuffix(Type type) {
  Type element = getElementTypeOrSelf(type);
  return element.isF64() ? "f64" : "f32";
}

MemRefType memrefTypeOf(Type tensorType) {
  auto t = cast<RankedTensorType>(tensorType);
  return MemRefType::get(t.getShape(), t.getElementType());
}

/// Builds the argument list of one runtime call.
class CallBuilder {
public:
  CallBuilder(OpBuilder &b, Location loc, LoweringState &state)
      : b(b), loc(loc), state(state) {}

  /// A fresh 64-byte aligned buffer for a result of tensor type `type`.
  Value alloc(Type tensorType) {
    return memref::AllocOp::create(b, loc, memrefTypeOf(tensorType),
                                   b.getI64IntegerAttr(64));
  }
  /// Appends a memref argument as an unranked memref.
  CallBuilder &buffer(Value memref) {
    auto type = cast<MemRefType>(memref.getType());
    auto unranked = UnrankedMemRefType::get(type.getElementType(), 0);
    args.push_back(memref::CastOp::create(b, loc, unranked, memref));
    return *this;
  }
  CallBuilder &i64(int64_t v) {
    args.push_back(arith::ConstantIntOp::create(b, loc, v, 64));
    return *this;
  }
  CallBuilder &i32(int64_t v) {
    args.push_back(arith::ConstantIntOp::create(b, loc, v, 32));
    return *this;
  }
  CallBuilder &f64(double v) {
    args.push_back(arith::ConstantFloatOp::create(b, loc, b.getF64Type(),
                                                  APFloat(v)));
    return *this;
  }
  /// Appends an already built scalar value.
  CallBuilder &value(Value v) {
    args.push_back(v);
    return *this;
  }
  /// Appends the f64 value of a 0-d float memref.
  CallBuilder &scalarF64(Value memref) {
    Value v = memref::LoadOp::create(b, loc, memref, ValueRange{});
    if (!v.getType().isF64())
      v = arith::ExtFOp::create(b, loc, b.getF64Type(), v);
    return value(v);
  }
  /// Appends the i32 value (0/1) of a 0-d i1 memref.
  CallBuilder &flagI32(Value memref) {
    Value v = memref::LoadOp::create(b, loc, memref, ValueRange{});
    return value(arith::ExtUIOp::create(b, loc, b.getI32Type(), v));
  }
  /// Calls mfrt_mlir_<base>_<f32|f64> (suffix from `floatType`).
  func::CallOp call(StringRef base, Type floatType,
                    TypeRange results = {}) {
    std::string name =
        (kShimPrefix + base + "_" + floatSuffix(floatType)).str();
    SmallVector<Type> types;
    for (Value a : args)
      types.push_back(a.getType());
    StringAttr sym = b.getStringAttr(name);
    state.useRuntimeFunction(sym,
                             b.getFunctionType(types, SmallVector<Type>(
                                                          results.begin(),
                                                          results.end())));
    return func::CallOp::create(b, loc, sym, results, args);
  }

private:
  OpBuilder &b;
  Location loc;
  LoweringState &state;
  SmallVector<Value> args;
};

template <typename OpTy>
struct RuntimePattern : OpConversionPattern<OpTy> {
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
template <typename OpTy>
struct GetBufferLowering : RuntimePattern<OpTy> {
  using RuntimePattern<OpTy>::RuntimePattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
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
  LogicalResult
  matchAndRewrite(moe::EmbeddingOp op, OpAdaptor a,
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
  LogicalResult
  matchAndRewrite(moe::RMSNormOp op, OpAdaptor a,
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
  LogicalResult
  matchAndRewrite(moe::LinearOp op, OpAdaptor a,
                  ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getX()).buffer(a.getWeight()).buffer(out);
    c.call("linear_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

struct AttentionLowering : RuntimePattern<moe::AttentionOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult
  matchAndRewrite(moe::AttentionOp op, OpAdaptor a,
                  ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getQ()).buffer(a.getK()).buffer(a.getV());
    c.i64(op.getNumHeads()).i64(op.getNumKvHeads()).i32(op.getCausal());
    c.buffer(out);
    c.call("attention_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

struct SwiGLULowering : RuntimePattern<moe::SwiGLUOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult
  matchAndRewrite(moe::SwiGLUOp op, OpAdaptor a,
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
  LogicalResult
  matchAndRewrite(moe::AddOp op, OpAdaptor a,
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
  LogicalResult
  matchAndRewrite(moe::RouterOp op, OpAdaptor a,
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
  LogicalResult
  matchAndRewrite(moe::DispatchOp op, OpAdaptor a,
                  ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value sorted = c.alloc(op.getSorted().getType());
    Value sizes = c.alloc(op.getGroupSizes().getType());
    c.buffer(a.getX()).buffer(a.getIndices()).i64(op.getNumExperts());
    c.buffer(sorted).buffer(sizes);
    c.call("dispatch_fwd", op.getSorted().getType());
    rw.replaceOp(op, ValueRange{sorted, sizes});
    return success();
  }
};

struct ExpertsLowering : RuntimePattern<moe::ExpertsOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult
  matchAndRewrite(moe::ExpertsOp op, OpAdaptor a,
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

/// The expert count behind an indices tensor: the router that produced it
/// (its probs are [..., E]) or a dispatch reading it; 0 when neither is
/// visible (the shim then uses max(indices) + 1, which orders rows the
/// same way).
int64_t numExpertsOf(Value indices) {
  if (auto router = indices.getDefiningOp<moe::RouterOp>())
    return cast<RankedTensorType>(router.getProbs().getType()).getShape().back();
  for (Operation *user : indices.getUsers())
    if (auto dispatch = dyn_cast<moe::DispatchOp>(user))
      return dispatch.getNumExperts();
  return 0;
}

struct CombineLowering : RuntimePattern<moe::CombineOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult
  matchAndRewrite(moe::CombineOp op, OpAdaptor a,
                  ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getExpertOut()).buffer(a.getIndices()).buffer(a.getScores());
    c.i64(numExpertsOf(op.getIndices())).buffer(out);
    c.call("combine_fwd", op.getType());
    rw.replaceOp(op, out);
    return success();
  }
};

struct SharedExpertLowering : RuntimePattern<moe::SharedExpertOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult
  matchAndRewrite(moe::SharedExpertOp op, OpAdaptor a,
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
  LogicalResult
  matchAndRewrite(moe::AuxLossOp op, OpAdaptor a,
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

/// The divisor of the mean: the token count of the global batch (all of
/// `targets` at global semantics).
int64_t numTokensOf(Value targets) {
  return cast<RankedTensorType>(targets.getType()).getNumElements();
}

struct CrossEntropyLowering : RuntimePattern<moe::CrossEntropyOp> {
  using RuntimePattern::RuntimePattern;
  LogicalResult
  matchAndRewrite(moe::CrossEntropyOp op, OpAdaptor a,
                  ConversionPatternRewriter &rw) const override {
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.buffer(a.getLogits()).buffer(a.getTargets());
    c.i64(numTokensOf(op.getTargets())).buffer(out);
    c.call("cross_entropy_fwd", op.getType());
    rw.replaceOp(op, out);
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
      moe::CombineOp::getOperationName(),
      moe::SharedExpertOp::getOperationName(),
      moe::AuxLossOp::getOperationName(),
      moe::CrossEntropyOp::getOperationName(),
  };
  return names.contains(opName);
}

void moefold::lowering::populateMoEToRuntimePatterns(
    TypeConverter &converter, RewritePatternSet &patterns,
    LoweringState &state) {
  patterns.add<GetBufferLowering<moe::GetParamOp>, EmbeddingLowering,
               RMSNormLowering, LinearLowering, AttentionLowering,
               SwiGLULowering, AddLowering, RouterLowering, DispatchLowering,
               ExpertsLowering, CombineLowering, SharedExpertLowering,
               AuxLossLowering, CrossEntropyLowering>(
      converter, patterns.getContext(), state);
}
