//===- GradOps.cpp - verifiers of the gradient ops
//-------------------------===//
//
// Every gradient op checks its forward operands with the forward op's shape
// rule (ShapeRules.h) and its output gradients against the forward result
// types that rule returns. Input-gradient types equal the forward operand
// types (AllTypesMatch, or inference for moe.shared_expert_grad), except for
// the two ops whose gradient's type is written explicitly.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "MoEOpUtils.h"
#include "ShapeRules.h"

using namespace mlir;
using namespace moefold::moe;
using namespace moefold::moe::detail;

LogicalResult moefold::moe::detail::verifyGradType(const OpDiag &diag,
                                                   Type grad, StringRef name,
                                                   StringRef layout,
                                                   RankedTensorType forward) {
  FailureOr<RankedTensorType> gradType = getStaticTensor(diag, grad, name);
  if (failed(gradType))
    return failure();
  if (failed(verifyShape(diag, *gradType, name, layout, forward.getShape())))
    return failure();
  if (gradType->getElementType() != forward.getElementType())
    return diag.error(
        "expected ", name, " element type ", gradType->getElementType(),
        " to match the forward result element type ", forward.getElementType());
  return success();
}

//===----------------------------------------------------------------------===//
// EmbeddingGradOp
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingGradOp::verify() {
  OpDiag diag(*this);
  FailureOr<RankedTensorType> tokens =
      getStaticTensorOfRank(diag, getTokens().getType(), "tokens", 2, "[B, S]");
  if (failed(tokens))
    return failure();
  FailureOr<RankedTensorType> dout =
      getStaticTensorOfRank(diag, getDout().getType(), "dout", 3, "[B, S, H]");
  if (failed(dout))
    return failure();
  FailureOr<RankedTensorType> dtable =
      getStaticTensorOfRank(diag, getDtable().getType(), "dtable", 2, "[V, H]");
  if (failed(dtable))
    return failure();
  if (dout->getShape().take_front(2) != tokens->getShape())
    return diag.error(
        "expected dout [B, S] = ", formatShape(dout->getShape().take_front(2)),
        " to match tokens [B, S] = ", formatShape(tokens->getShape()));
  if (dtable->getDimSize(1) != dout->getDimSize(2))
    return diag.error("expected dtable dim 1 to equal hidden size ",
                      dout->getDimSize(2), ", got ", dtable->getDimSize(1));
  return verifySameElementType(diag, *dtable, "dtable", *dout, "dout");
}

//===----------------------------------------------------------------------===//
// Dense layers
//===----------------------------------------------------------------------===//

LogicalResult RMSNormGradOp::verify() {
  // dout and dx have the type of x (AllTypesMatch).
  return checkRMSNorm(OpDiag(*this), getX().getType(), getWeight().getType(),
                      getEpsilon().convertToDouble());
}

LogicalResult LinearGradOp::verify() {
  OpDiag diag(*this);
  FailureOr<RankedTensorType> out =
      checkLinear(diag, getX().getType(), getWeight().getType());
  if (failed(out))
    return failure();
  return verifyGradType(diag, getDout().getType(), "dout", "[..., N]", *out);
}

LogicalResult AttentionGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, Adaptor adaptor,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  inferredReturnTypes.push_back(adaptor.getQ().getType());
  inferredReturnTypes.push_back(adaptor.getK().getType());
  inferredReturnTypes.push_back(adaptor.getV().getType());
  for (Value norm : adaptor.getQkNorm())
    inferredReturnTypes.push_back(norm.getType());
  return success();
}

LogicalResult AttentionGradOp::verify() {
  // dout and dq have the type of q (AllTypesMatch).
  OpDiag diag(*this);
  FailureOr<RankedTensorType> q = checkAttention(
      diag, getQ().getType(), getK().getType(), getV().getType(),
      getNumHeadsAttr().getInt(), getNumKvHeadsAttr().getInt(),
      ropeThetaOf(getRopeThetaAttr()));
  if (failed(q) || failed(checkQKNorm(diag, *q, getNumHeadsAttr().getInt(),
                                      getQkNorm(), getEpsilonAttr())))
    return failure();
  // Only reachable through the generic form: the custom form infers them.
  if (getDqkNorm().size() != getQkNorm().size())
    return diag.error("expected dq_norm, dk_norm results exactly when "
                      "qk_norm is given");
  for (auto [norm, grad] : llvm::zip(getQkNorm(), getDqkNorm()))
    if (norm.getType() != grad.getType())
      return diag.error("dq_norm/dk_norm must have the types of the norm "
                        "weights");
  return success();
}

LogicalResult SharedExpertGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, Adaptor adaptor,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  inferredReturnTypes.push_back(adaptor.getX().getType());
  inferredReturnTypes.push_back(adaptor.getWGate().getType());
  inferredReturnTypes.push_back(adaptor.getWUp().getType());
  inferredReturnTypes.push_back(adaptor.getWDown().getType());
  if (Value gate = adaptor.getGate())
    inferredReturnTypes.push_back(gate.getType());
  return success();
}

LogicalResult SharedExpertGradOp::verify() {
  OpDiag diag(*this);
  Value gate = getGate();
  if (failed(checkSharedExpert(diag, getX().getType(), getWGate().getType(),
                               getWUp().getType(), getWDown().getType(),
                               gate ? gate.getType() : Type())))
    return failure();
  // Only reachable through the generic form: the custom form infers them.
  if (static_cast<bool>(gate) != static_cast<bool>(getDgate()))
    return diag.error("expected a dgate result exactly when gate is given");
  return success();
}

//===----------------------------------------------------------------------===//
// Mixture of experts
//===----------------------------------------------------------------------===//

LogicalResult RouterGradOp::verify() {
  OpDiag diag(*this);
  int64_t topK = getTopKAttr().getInt();
  FailureOr<RouterTypes> forward =
      checkRouter(diag, getX().getType(), getWeight().getType(), Type(), topK);
  if (failed(forward))
    return failure();
  if (failed(verifyGradType(diag, getProbs().getType(), "probs", "[B, S, E]",
                            forward->probs)))
    return failure();
  auto indices = cast<RankedTensorType>(getIndices().getType());
  if (failed(verifyShape(diag, indices, "indices", "[B, S, K]",
                         forward->indices.getShape())))
    return failure();
  return verifyGradType(diag, getDscores().getType(), "dscores", "[B, S, K]",
                        forward->scores);
}

LogicalResult DispatchGradOp::verify() {
  OpDiag diag(*this);
  // dx has the type of the dispatched x.
  FailureOr<DispatchTypes> forward =
      checkDispatch(diag, getDx().getType(), getIndices().getType(),
                    getNumExpertsAttr().getInt(), "dx");
  if (failed(forward))
    return failure();
  if (failed(verifyGradType(diag, getDsorted().getType(), "dsorted",
                            "[T*K, H]", forward->sorted)))
    return failure();
  Value scores = getScores(), x = getX(), dscores = getDscores();
  if (!scores != !x)
    return diag.error("takes scores and x together (the scaled dispatch's "
                      "operands), got ",
                      scores ? "scores without x" : "x without scores");
  if (!scores) {
    if (dscores)
      return diag.error("has a dscores result but no scores operand");
    return success();
  }
  if (!dscores)
    return diag.error("with scores needs a dscores result");
  if (failed(verifyGradType(diag, x.getType(), "x", "[B, S, H]",
                            cast<RankedTensorType>(getDx().getType()))) ||
      failed(checkTokenScores(diag, scores.getType(), getIndices().getType(),
                              x.getType())))
    return failure();
  return verifyGradType(diag, dscores.getType(), "dscores", "[B, S, K]",
                        cast<RankedTensorType>(scores.getType()));
}

LogicalResult ExpertsGradOp::verify() {
  // dout and dsorted have the type of sorted (AllTypesMatch).
  return checkExperts(OpDiag(*this), getSorted().getType(),
                      getGroupSizes().getType(), getWGate().getType(),
                      getWUp().getType(), getWDown().getType());
}

LogicalResult CombineGradOp::verify() {
  OpDiag diag(*this);
  FailureOr<RankedTensorType> out =
      checkCombine(diag, getExpertOut().getType(), getIndices().getType(),
                   getScores() ? getScores().getType() : Type());
  if (failed(out))
    return failure();
  if (!getScores() != !getDscores())
    return diag.error(getScores() ? "with scores needs a dscores result"
                                  : "has a dscores result but no scores "
                                    "operand (an unweighted combine)");
  if (getScores() && getDscores().getType() != getScores().getType())
    return diag.error("expected dscores of the type of scores");
  int64_t numExperts = getNumExpertsAttr().getInt();
  if (failed(verifyPositive(diag, numExperts, "num_experts")))
    return failure();
  int64_t topK = cast<RankedTensorType>(getIndices().getType()).getDimSize(2);
  if (topK > numExperts)
    return diag.error("top_k = ", topK, " exceeds num_experts = ", numExperts);
  return verifyGradType(diag, getDout().getType(), "dout", "[B, S, H]", *out);
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

LogicalResult AuxLossGradOp::verify() {
  OpDiag diag(*this);
  FailureOr<RankedTensorType> loss = checkAuxLoss(
      diag, getProbs().getType(), getIndices().getType(),
      getNumExpertsAttr().getInt(), getCoefficient().convertToDouble());
  if (failed(loss))
    return failure();
  return verifyGradType(diag, getDloss().getType(), "dloss", "[]", *loss);
}

LogicalResult CrossEntropyGradOp::verify() {
  OpDiag diag(*this);
  FailureOr<RankedTensorType> loss =
      checkCrossEntropy(diag, getLogits().getType(), getTargets().getType());
  if (failed(loss) ||
      failed(checkCrossEntropyTokens(diag, getNumTokens(),
                                     getTargets().getType())))
    return failure();
  return verifyGradType(diag, getDloss().getType(), "dloss", "[]", *loss);
}
