//===- VJPRules.cpp - vector-Jacobian products of the forward ops ---------===//
//
// One VJPOpInterface::buildVJP per differentiable forward op. Each builds
// the gradient op of docs/design/training-step.md §2 from the forward
// operands (and forward results where the runtime's *_bwd needs them) and
// the result gradients. Rules are called only when at least one result has
// a gradient; a single-result op therefore always has one.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace moefold::moe;

#include "moefold/Dialect/MoE/IR/MoEInterfaces.cpp.inc"

Value moefold::moe::getGradOrZero(OpBuilder &builder, Location loc, Value grad,
                                  Type type) {
  if (grad)
    return grad;
  return FillOp::create(builder, loc, type, 0.0);
}

/// Resets `operandGrads` to one null entry per operand of `op`.
static void initOperandGrads(Operation *op,
                             SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(op->getNumOperands(), Value());
}

//===----------------------------------------------------------------------===//
// Dense layers
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::buildVJP(OpBuilder &builder,
                                    ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  initOperandGrads(*this, operandGrads);
  if (!resultGrads[0])
    return success();
  // Tokens are integers: only the table gets a gradient.
  operandGrads[0] = EmbeddingGradOp::create(
      builder, getLoc(), getTable().getType(), getTokens(), resultGrads[0]);
  return success();
}

LogicalResult RMSNormOp::buildVJP(OpBuilder &builder,
                                  ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  initOperandGrads(*this, operandGrads);
  if (!resultGrads[0])
    return success();
  auto grad = RMSNormGradOp::create(builder, getLoc(), getX(), getWeight(),
                                    resultGrads[0], getEpsilonAttr());
  operandGrads[0] = grad.getDx();
  operandGrads[1] = grad.getDweight();
  return success();
}

LogicalResult LinearOp::buildVJP(OpBuilder &builder,
                                 ArrayRef<Value> resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  initOperandGrads(*this, operandGrads);
  if (!resultGrads[0])
    return success();
  auto grad = LinearGradOp::create(builder, getLoc(), getX(), getWeight(),
                                   resultGrads[0]);
  operandGrads[0] = grad.getDx();
  operandGrads[1] = grad.getDweight();
  return success();
}

LogicalResult AttentionOp::buildVJP(OpBuilder &builder,
                                    ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  initOperandGrads(*this, operandGrads);
  if (!resultGrads[0])
    return success();
  auto grad = AttentionGradOp::create(
      builder, getLoc(), getQ(), getK(), getV(), resultGrads[0], getQkNorm(),
      getNumHeadsAttr(), getNumKvHeadsAttr(), getCausalAttr(),
      getRopeThetaAttr(), getEpsilonAttr());
  operandGrads[0] = grad.getDq();
  operandGrads[1] = grad.getDk();
  operandGrads[2] = grad.getDv();
  // The q/k norm weights follow q, k, v (dq_norm, dk_norm).
  for (auto [i, dnorm] : llvm::enumerate(grad.getDqkNorm()))
    operandGrads[3 + i] = dnorm;
  return success();
}

LogicalResult SwiGLUOp::buildVJP(OpBuilder &builder,
                                 ArrayRef<Value> resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  initOperandGrads(*this, operandGrads);
  if (!resultGrads[0])
    return success();
  auto grad = SwiGLUGradOp::create(builder, getLoc(), getGate(), getUp(),
                                   resultGrads[0]);
  operandGrads[0] = grad.getDgate();
  operandGrads[1] = grad.getDup();
  return success();
}

LogicalResult AddOp::buildVJP(OpBuilder &, ArrayRef<Value> resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  // d(a + b) = da + db: both operands get the result gradient unchanged
  // (x + x accumulates 2 * dout in moe-autodiff).
  initOperandGrads(*this, operandGrads);
  operandGrads[0] = resultGrads[0];
  operandGrads[1] = resultGrads[0];
  return success();
}

LogicalResult SharedExpertOp::buildVJP(OpBuilder &builder,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  initOperandGrads(*this, operandGrads);
  if (!resultGrads[0])
    return success();
  auto grad = SharedExpertGradOp::create(builder, getLoc(), getX(), getWGate(),
                                         getWUp(), getWDown(), getGate(),
                                         resultGrads[0]);
  operandGrads[0] = grad.getDx();
  operandGrads[1] = grad.getDwGate();
  operandGrads[2] = grad.getDwUp();
  operandGrads[3] = grad.getDwDown();
  if (getGate())
    operandGrads[4] = grad.getDgate();
  return success();
}

//===----------------------------------------------------------------------===//
// Mixture of experts
//===----------------------------------------------------------------------===//

LogicalResult RouterOp::buildVJP(OpBuilder &builder,
                                 ArrayRef<Value> resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  initOperandGrads(*this, operandGrads);
  Value dscores = resultGrads[0];
  Value dprobs = resultGrads[2];
  if (!dscores && !dprobs)
    return success();
  // The gradient flows through the selected scores and the full
  // probabilities; the one that did not arrive is zero. Indices are integer
  // and the bias only changes the selection, so neither gets a gradient.
  Location loc = getLoc();
  dscores = getGradOrZero(builder, loc, dscores, getScores().getType());
  dprobs = getGradOrZero(builder, loc, dprobs, getProbs().getType());
  auto grad = RouterGradOp::create(
      builder, loc, getX(), getWeight(), getProbs(), getIndices(), dscores,
      dprobs, getScoringAttr(), getTopKAttr(), getRenormalizeAttr());
  operandGrads[0] = grad.getDx();
  operandGrads[1] = grad.getDweight();
  return success();
}

LogicalResult DispatchOp::buildVJP(OpBuilder &builder,
                                   ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  initOperandGrads(*this, operandGrads);
  // group_sizes (result 1) is an integer count: only `sorted` carries a
  // gradient back to the tokens.
  if (!resultGrads[0])
    return success();
  Value scores = getScores();
  if (!scores) {
    operandGrads[0] = DispatchGradOp::create(
        builder, getLoc(), getX().getType(), /*dscores=*/Type(), getIndices(),
        resultGrads[0], /*scores=*/Value(), /*x=*/Value(), getNumExpertsAttr())
        .getDx();
    return success();
  }
  // Scores before the experts: sorted = scores * x is bilinear, so x's
  // gradient is scaled by the scores and the scores get <dsorted, x>.
  auto grad = DispatchGradOp::create(
      builder, getLoc(), getX().getType(), scores.getType(), getIndices(),
      resultGrads[0], scores, getX(), getNumExpertsAttr());
  operandGrads[0] = grad.getDx();
  operandGrads[2] = grad.getDscores();
  return success();
}

LogicalResult ExpertsOp::buildVJP(OpBuilder &builder,
                                  ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  initOperandGrads(*this, operandGrads);
  if (!resultGrads[0])
    return success();
  auto grad =
      ExpertsGradOp::create(builder, getLoc(), getSorted(), getGroupSizes(),
                            getWGate(), getWUp(), getWDown(), resultGrads[0]);
  operandGrads[0] = grad.getDsorted();
  // Operand 1 (group_sizes) is not differentiable.
  operandGrads[2] = grad.getDwGate();
  operandGrads[3] = grad.getDwUp();
  operandGrads[4] = grad.getDwDown();
  return success();
}

LogicalResult CombineOp::buildVJP(OpBuilder &builder,
                                  ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  initOperandGrads(*this, operandGrads);
  if (!resultGrads[0])
    return success();
  std::optional<int64_t> numExperts = findNumExperts();
  if (!numExperts)
    return emitOpError("cannot determine num_experts for the gradient: its "
                       "indices come from no moe.router and feed no "
                       "moe.dispatch or moe.aux_loss");
  Value scores = getScores();
  auto grad = CombineGradOp::create(
      builder, getLoc(), getExpertOut().getType(),
      scores ? scores.getType() : Type(), getExpertOut(), getIndices(), scores,
      resultGrads[0], builder.getI64IntegerAttr(*numExperts));
  operandGrads[0] = grad.getDexpertOut();
  if (scores)
    operandGrads[2] = grad.getDscores();
  return success();
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

LogicalResult AuxLossOp::buildVJP(OpBuilder &builder,
                                  ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  initOperandGrads(*this, operandGrads);
  if (!resultGrads[0])
    return success();
  operandGrads[0] = AuxLossGradOp::create(
      builder, getLoc(), getProbs(), getIndices(), resultGrads[0],
      getNumExpertsAttr(), getCoefficientAttr());
  return success();
}

LogicalResult CrossEntropyOp::buildVJP(OpBuilder &builder,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  initOperandGrads(*this, operandGrads);
  if (!resultGrads[0])
    return success();
  operandGrads[0] =
      CrossEntropyGradOp::create(builder, getLoc(), getLogits(), getTargets(),
                                 resultGrads[0], getNumTokensAttr());
  return success();
}
