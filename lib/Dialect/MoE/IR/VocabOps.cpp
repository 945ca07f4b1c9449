//===- VocabOps.cpp - vocab-parallel cross-entropy ops --------------------===//
//
// Verifiers and result types of moe.vocab_max, vocab_sumexp,
// vocab_target_logit, vocab_cross_entropy and vocab_cross_entropy_grad
// (docs/moe-dialect.md).
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "MoEOpUtils.h"

using namespace mlir;
using namespace moefold::moe;
using namespace moefold::moe::detail;

namespace {

/// logits [B, S, Vl] with Vl > 0.
FailureOr<RankedTensorType> checkLogits(const OpDiag &diag, Type type) {
  FailureOr<RankedTensorType> logits =
      getStaticTensorOfRank(diag, type, "logits", 3, "[B, S, Vl]");
  if (failed(logits))
    return failure();
  if (logits->getDimSize(2) == 0)
    return diag.error("expected a non-empty vocabulary shard (logits dim 2)");
  return logits;
}

/// The statistic type of `logits`: [B, S] of its element type.
RankedTensorType statTypeOf(RankedTensorType logits) {
  return RankedTensorType::get(logits.getShape().take_front(2),
                               logits.getElementType());
}

LogicalResult checkOffset(const OpDiag &diag, Type type) {
  auto offset = dyn_cast<RankedTensorType>(type);
  if (!offset || offset.getRank() != 1 || offset.getDimSize(0) != 1 ||
      !offset.getElementType().isInteger(32))
    return diag.error("expected offset of type tensor<1xi32>, got ", type);
  return success();
}

/// `type` is the statistic type of `logits` ([B, S], same element type).
LogicalResult checkStat(const OpDiag &diag, Type type, StringRef name,
                        RankedTensorType logits) {
  RankedTensorType expected = statTypeOf(logits);
  if (type != expected)
    return diag.error("expected ", name, " of type ", expected,
                      " (logits [B, S] and element type), got ", type);
  return success();
}

LogicalResult checkTargets(const OpDiag &diag, Type type,
                           RankedTensorType logits) {
  FailureOr<RankedTensorType> targets =
      getStaticTensorOfRank(diag, type, "targets", 2, "[B, S]");
  if (failed(targets))
    return failure();
  if (targets->getShape() != logits.getShape().take_front(2))
    return diag.error("expected targets [B, S] = ",
                      formatShape(targets->getShape()),
                      " to match logits [B, S] = ",
                      formatShape(logits.getShape().take_front(2)));
  return success();
}

/// The global token count of a mean over `local` tokens.
LogicalResult checkNumTokens(const OpDiag &diag, int64_t numTokens,
                             int64_t local) {
  if (numTokens < local || numTokens <= 0)
    return diag.error("num_tokens = ", numTokens,
                      " must be positive and at least the ", local,
                      " tokens of this rank");
  return success();
}

/// Result types of the per-token statistics: [B, S] of the logits.
LogicalResult inferStat(std::optional<Location> location, StringRef opName,
                        Type logitsType, SmallVectorImpl<Type> &types) {
  FailureOr<RankedTensorType> logits =
      checkLogits(OpDiag(location, opName), logitsType);
  if (failed(logits))
    return failure();
  types.push_back(statTypeOf(*logits));
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// VocabMaxOp
//===----------------------------------------------------------------------===//

LogicalResult VocabMaxOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> location,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  return inferStat(location, getOperationName(), adaptor.getLogits().getType(),
                   types);
}

LogicalResult VocabMaxOp::verify() {
  OpDiag diag(*this);
  FailureOr<RankedTensorType> logits =
      checkLogits(diag, getLogits().getType());
  if (failed(logits) || failed(checkOffset(diag, getOffset().getType())))
    return failure();
  return checkStat(diag, getType(), "result", *logits);
}

//===----------------------------------------------------------------------===//
// VocabSumExpOp
//===----------------------------------------------------------------------===//

LogicalResult VocabSumExpOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> location,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  return inferStat(location, getOperationName(), adaptor.getLogits().getType(),
                   types);
}

LogicalResult VocabSumExpOp::verify() {
  OpDiag diag(*this);
  FailureOr<RankedTensorType> logits =
      checkLogits(diag, getLogits().getType());
  if (failed(logits) || failed(checkOffset(diag, getOffset().getType())) ||
      failed(checkStat(diag, getMax().getType(), "max", *logits)))
    return failure();
  return checkStat(diag, getType(), "result", *logits);
}

//===----------------------------------------------------------------------===//
// VocabTargetLogitOp
//===----------------------------------------------------------------------===//

LogicalResult VocabTargetLogitOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  return inferStat(location, getOperationName(), adaptor.getLogits().getType(),
                   types);
}

LogicalResult VocabTargetLogitOp::verify() {
  OpDiag diag(*this);
  FailureOr<RankedTensorType> logits =
      checkLogits(diag, getLogits().getType());
  if (failed(logits) || failed(checkOffset(diag, getOffset().getType())) ||
      failed(checkTargets(diag, getTargets().getType(), *logits)))
    return failure();
  int64_t shard = logits->getDimSize(2);
  if (getVocabSizeAttr().getInt() < shard)
    return diag.error("vocab_size = ", getVocabSizeAttr().getInt(),
                      " is smaller than the shard's ", shard, " columns");
  return checkStat(diag, getType(), "result", *logits);
}

//===----------------------------------------------------------------------===//
// VocabCrossEntropyOp
//===----------------------------------------------------------------------===//

LogicalResult VocabCrossEntropyOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  OpDiag diag(location, getOperationName());
  FailureOr<RankedTensorType> max = getStaticTensorOfRank(
      diag, adaptor.getMax().getType(), "max", 2, "[B, S]");
  if (failed(max))
    return failure();
  types.push_back(RankedTensorType::get({}, max->getElementType()));
  return success();
}

LogicalResult VocabCrossEntropyOp::verify() {
  OpDiag diag(*this);
  FailureOr<RankedTensorType> max =
      getStaticTensorOfRank(diag, getMax().getType(), "max", 2, "[B, S]");
  if (failed(max))
    return failure();
  return checkNumTokens(diag, getNumTokens(), max->getNumElements());
}

//===----------------------------------------------------------------------===//
// VocabCrossEntropyGradOp
//===----------------------------------------------------------------------===//

LogicalResult VocabCrossEntropyGradOp::verify() {
  OpDiag diag(*this);
  FailureOr<RankedTensorType> logits =
      checkLogits(diag, getLogits().getType());
  if (failed(logits) || failed(checkOffset(diag, getOffset().getType())) ||
      failed(checkTargets(diag, getTargets().getType(), *logits)) ||
      failed(checkStat(diag, getMax().getType(), "max", *logits)))
    return failure();
  Type lossType = RankedTensorType::get({}, logits->getElementType());
  if (getDloss().getType() != lossType)
    return diag.error("expected dloss of type ", lossType, ", got ",
                      getDloss().getType());
  return checkNumTokens(diag, getNumTokens(), logits->getNumElements() /
                                                  logits->getDimSize(2));
}
