//===- LossOps.cpp - load-balancing and cross-entropy losses --------------===//

#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "MoEOpUtils.h"
#include "ShapeRules.h"

#include <cmath>

using namespace mlir;
using namespace moefold::moe;
using namespace moefold::moe::detail;

//===----------------------------------------------------------------------===//
// AuxLossOp
//===----------------------------------------------------------------------===//

LogicalResult
AuxLossOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                            Adaptor adaptor,
                            SmallVectorImpl<Type> &inferredReturnTypes) {
  OpDiag diag(location, getOperationName());
  FailureOr<RankedTensorType> probs =
      getStaticTensor(diag, adaptor.getProbs().getType(), "probs");
  if (failed(probs))
    return failure();
  inferredReturnTypes.push_back(
      RankedTensorType::get({}, getLossElementType(probs->getElementType())));
  return success();
}

FailureOr<RankedTensorType>
moefold::moe::detail::checkAuxLoss(const OpDiag &diag, Type probsType,
                                   Type indicesType, int64_t numExperts,
                                   double coefficient) {
  FailureOr<RankedTensorType> probs =
      getStaticTensorOfRank(diag, probsType, "probs", 3, "[B, S, E]");
  if (failed(probs))
    return failure();
  FailureOr<RankedTensorType> indices =
      getStaticTensorOfRank(diag, indicesType, "indices", 3, "[B, S, K]");
  if (failed(indices))
    return failure();
  if (indices->getDimSize(0) != probs->getDimSize(0) ||
      indices->getDimSize(1) != probs->getDimSize(1))
    return diag.error("expected indices [B, S] = ",
                      formatShape(indices->getShape().take_front(2)),
                      " to match probs [B, S] = ",
                      formatShape(probs->getShape().take_front(2)));
  if (failed(verifyPositive(diag, numExperts, "num_experts")))
    return failure();
  if (probs->getDimSize(2) != numExperts)
    return diag.error("expected probs dim 2 to equal num_experts = ",
                      numExperts, ", got ", probs->getDimSize(2));
  if (indices->getDimSize(2) > numExperts)
    return diag.error("top_k = ", indices->getDimSize(2),
                      " exceeds num_experts = ", numExperts);
  if (!(coefficient >= 0.0) || !std::isfinite(coefficient))
    return diag.error("coefficient must be non-negative and finite, got ",
                      coefficient);
  return RankedTensorType::get({}, getLossElementType(probs->getElementType()));
}

LogicalResult AuxLossOp::verify() {
  return checkAuxLoss(OpDiag(*this), getProbs().getType(),
                      getIndices().getType(), getNumExpertsAttr().getInt(),
                      getCoefficient().convertToDouble());
}

//===----------------------------------------------------------------------===//
// CrossEntropyOp
//===----------------------------------------------------------------------===//

LogicalResult CrossEntropyOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  OpDiag diag(location, getOperationName());
  FailureOr<RankedTensorType> logits =
      getStaticTensor(diag, adaptor.getLogits().getType(), "logits");
  if (failed(logits))
    return failure();
  inferredReturnTypes.push_back(
      RankedTensorType::get({}, getLossElementType(logits->getElementType())));
  return success();
}

FailureOr<RankedTensorType>
moefold::moe::detail::checkCrossEntropy(const OpDiag &diag, Type logitsType,
                                        Type targetsType) {
  FailureOr<RankedTensorType> logits =
      getStaticTensorOfRank(diag, logitsType, "logits", 3, "[B, S, V]");
  if (failed(logits))
    return failure();
  FailureOr<RankedTensorType> targets =
      getStaticTensorOfRank(diag, targetsType, "targets", 2, "[B, S]");
  if (failed(targets))
    return failure();
  if (targets->getShape() != logits->getShape().take_front(2))
    return diag.error(
        "expected targets [B, S] = ", formatShape(targets->getShape()),
        " to match logits [B, S] = ",
        formatShape(logits->getShape().take_front(2)));
  return RankedTensorType::get({},
                               getLossElementType(logits->getElementType()));
}

LogicalResult moefold::moe::detail::checkCrossEntropyTokens(
    const OpDiag &diag, std::optional<uint64_t> numTokens, Type targetsType) {
  if (!numTokens)
    return success();
  int64_t local = cast<RankedTensorType>(targetsType).getNumElements();
  auto n = static_cast<int64_t>(*numTokens);
  if (n <= 0 || n < local)
    return diag.error("num_tokens = ", n,
                      " must be positive and at least the ", local,
                      " tokens of the targets");
  return success();
}

LogicalResult CrossEntropyOp::verify() {
  OpDiag diag(*this);
  if (failed(checkCrossEntropy(diag, getLogits().getType(),
                               getTargets().getType())))
    return failure();
  return checkCrossEntropyTokens(diag, getNumTokens(), getTargets().getType());
}
