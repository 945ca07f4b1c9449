//===- RoutingOps.cpp - router, dispatch, experts, combine ----------------===//
//
// Result type inference does only what it needs to build the result types;
// every other check lives in the verifier. Both report through OpDiag.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "MoEOpUtils.h"
#include "ShapeRules.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace moefold::moe;
using namespace moefold::moe::detail;

/// `indices` must be `[B, S, K]` for the `[B, S, ...]` of `ref` (named
/// `refName`).
static LogicalResult verifyTokenDims(const OpDiag &diag, ShapedType type,
                                     StringRef name, ShapedType ref,
                                     StringRef refName) {
  if (type.getDimSize(0) == ref.getDimSize(0) &&
      type.getDimSize(1) == ref.getDimSize(1))
    return success();
  return diag.error("expected ", name,
                    " [B, S] = ", formatShape(type.getShape().take_front(2)),
                    " to match ", refName,
                    " [B, S] = ", formatShape(ref.getShape().take_front(2)));
}

//===----------------------------------------------------------------------===//
// RouterOp
//===----------------------------------------------------------------------===//

LogicalResult
RouterOp::inferReturnTypes(MLIRContext *context,
                           std::optional<Location> location, Adaptor adaptor,
                           SmallVectorImpl<Type> &inferredReturnTypes) {
  OpDiag diag(location, getOperationName());
  FailureOr<RankedTensorType> x = getStaticTensorOfRank(
      diag, adaptor.getX().getType(), "x", 3, "[B, S, H]");
  if (failed(x))
    return failure();
  FailureOr<RankedTensorType> weight = getStaticTensorOfRank(
      diag, adaptor.getWeight().getType(), "weight", 2, "[H, E]");
  if (failed(weight))
    return failure();
  IntegerAttr topKAttr = adaptor.getTopKAttr();
  if (!topKAttr)
    return diag.error("requires attribute 'top_k'");
  int64_t topK = topKAttr.getInt();
  if (topK < 1)
    return diag.error("top_k must be at least 1, got ", topK);
  int64_t b = x->getDimSize(0), s = x->getDimSize(1);
  Type elementType = x->getElementType();
  inferredReturnTypes.push_back(
      RankedTensorType::get({b, s, topK}, elementType));
  inferredReturnTypes.push_back(
      RankedTensorType::get({b, s, topK}, IntegerType::get(context, 32)));
  inferredReturnTypes.push_back(
      RankedTensorType::get({b, s, weight->getDimSize(1)}, elementType));
  return success();
}

FailureOr<RouterTypes> moefold::moe::detail::checkRouter(const OpDiag &diag,
                                                         Type xType,
                                                         Type weightType,
                                                         Type biasType,
                                                         int64_t topK) {
  FailureOr<RankedTensorType> x =
      getStaticTensorOfRank(diag, xType, "x", 3, "[B, S, H]");
  if (failed(x))
    return failure();
  FailureOr<RankedTensorType> weight =
      getStaticTensorOfRank(diag, weightType, "weight", 2, "[H, E]");
  if (failed(weight))
    return failure();
  if (topK < 1)
    return diag.error("top_k must be at least 1, got ", topK);
  int64_t hidden = x->getDimSize(2);
  int64_t numExperts = weight->getDimSize(1);
  if (weight->getDimSize(0) != hidden)
    return diag.error("expected weight dim 0 to equal hidden size ", hidden,
                      ", got ", weight->getDimSize(0));
  if (failed(verifySameElementType(diag, *weight, "weight", *x, "x")))
    return failure();
  if (topK > numExperts)
    return diag.error("top_k = ", topK, " exceeds num_experts = ", numExperts);
  if (biasType) {
    FailureOr<RankedTensorType> bias = getStaticTensor(diag, biasType, "bias");
    if (failed(bias))
      return failure();
    if (failed(verifyShape(diag, *bias, "bias", "[E]", {numExperts})) ||
        failed(verifySameElementType(diag, *bias, "bias", *x, "x")))
      return failure();
  }
  int64_t b = x->getDimSize(0), s = x->getDimSize(1);
  Type elementType = x->getElementType();
  RouterTypes types;
  types.scores = RankedTensorType::get({b, s, topK}, elementType);
  types.indices = RankedTensorType::get({b, s, topK},
                                        IntegerType::get(x->getContext(), 32));
  types.probs = RankedTensorType::get({b, s, numExperts}, elementType);
  return types;
}

LogicalResult RouterOp::verify() {
  Value bias = getBias();
  return checkRouter(OpDiag(*this), getX().getType(), getWeight().getType(),
                     bias ? bias.getType() : Type(), getTopKAttr().getInt());
}

//===----------------------------------------------------------------------===//
// DispatchOp
//===----------------------------------------------------------------------===//

LogicalResult
DispatchOp::inferReturnTypes(MLIRContext *context,
                             std::optional<Location> location, Adaptor adaptor,
                             SmallVectorImpl<Type> &inferredReturnTypes) {
  OpDiag diag(location, getOperationName());
  FailureOr<RankedTensorType> x = getStaticTensorOfRank(
      diag, adaptor.getX().getType(), "x", 3, "[B, S, H]");
  if (failed(x))
    return failure();
  FailureOr<RankedTensorType> indices = getStaticTensorOfRank(
      diag, adaptor.getIndices().getType(), "indices", 3, "[B, S, K]");
  if (failed(indices))
    return failure();
  IntegerAttr numExpertsAttr = adaptor.getNumExpertsAttr();
  if (!numExpertsAttr)
    return diag.error("requires attribute 'num_experts'");
  int64_t numExperts = numExpertsAttr.getInt();
  if (failed(verifyPositive(diag, numExperts, "num_experts")))
    return failure();
  int64_t rows =
      indices->getDimSize(0) * indices->getDimSize(1) * indices->getDimSize(2);
  inferredReturnTypes.push_back(
      RankedTensorType::get({rows, x->getDimSize(2)}, x->getElementType()));
  inferredReturnTypes.push_back(
      RankedTensorType::get({numExperts}, IntegerType::get(context, 32)));
  return success();
}

FailureOr<DispatchTypes> moefold::moe::detail::checkDispatch(const OpDiag &diag,
                                                             Type xType,
                                                             Type indicesType,
                                                             int64_t numExperts,
                                                             StringRef xName) {
  FailureOr<RankedTensorType> x =
      getStaticTensorOfRank(diag, xType, xName, 3, "[B, S, H]");
  if (failed(x))
    return failure();
  FailureOr<RankedTensorType> indices =
      getStaticTensorOfRank(diag, indicesType, "indices", 3, "[B, S, K]");
  if (failed(indices))
    return failure();
  if (failed(verifyPositive(diag, numExperts, "num_experts")))
    return failure();
  if (failed(verifyTokenDims(diag, *indices, "indices", *x, xName)))
    return failure();
  if (indices->getDimSize(2) > numExperts)
    return diag.error("top_k = ", indices->getDimSize(2),
                      " exceeds num_experts = ", numExperts);
  int64_t rows =
      indices->getDimSize(0) * indices->getDimSize(1) * indices->getDimSize(2);
  DispatchTypes types;
  types.sorted =
      RankedTensorType::get({rows, x->getDimSize(2)}, x->getElementType());
  types.groupSizes = RankedTensorType::get(
      {numExperts}, IntegerType::get(x->getContext(), 32));
  return types;
}

LogicalResult moefold::moe::detail::checkTokenScores(const OpDiag &diag,
                                                     Type scoresType,
                                                     Type indicesType,
                                                     Type xType) {
  FailureOr<RankedTensorType> scores =
      getStaticTensor(diag, scoresType, "scores");
  if (failed(scores))
    return failure();
  auto indices = cast<RankedTensorType>(indicesType);
  auto x = cast<RankedTensorType>(xType);
  if (failed(verifyShape(diag, *scores, "scores", "[B, S, K]",
                         indices.getShape())) ||
      failed(verifySameElementType(diag, *scores, "scores", x, "x")))
    return failure();
  return success();
}

LogicalResult DispatchOp::verify() {
  OpDiag diag(*this);
  if (failed(checkDispatch(diag, getX().getType(), getIndices().getType(),
                           getNumExpertsAttr().getInt())))
    return failure();
  if (Value scores = getScores())
    return checkTokenScores(diag, scores.getType(), getIndices().getType(),
                            getX().getType());
  return success();
}

//===----------------------------------------------------------------------===//
// ExpertsOp
//===----------------------------------------------------------------------===//

LogicalResult
ExpertsOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                            Adaptor adaptor,
                            SmallVectorImpl<Type> &inferredReturnTypes) {
  OpDiag diag(location, getOperationName());
  FailureOr<RankedTensorType> sorted = getStaticTensorOfRank(
      diag, adaptor.getSorted().getType(), "sorted", 2, "[N, H]");
  if (failed(sorted))
    return failure();
  inferredReturnTypes.push_back(*sorted);
  return success();
}

FailureOr<RankedTensorType>
moefold::moe::detail::checkExperts(const OpDiag &diag, Type sortedType,
                                   Type groupSizesType, Type wGateType,
                                   Type wUpType, Type wDownType) {
  FailureOr<RankedTensorType> sorted =
      getStaticTensorOfRank(diag, sortedType, "sorted", 2, "[N, H]");
  if (failed(sorted))
    return failure();
  FailureOr<RankedTensorType> groupSizes =
      getStaticTensorOfRank(diag, groupSizesType, "group_sizes", 1, "[G]");
  if (failed(groupSizes))
    return failure();
  int64_t numGroups = groupSizes->getDimSize(0);
  int64_t hidden = sorted->getDimSize(1);

  FailureOr<RankedTensorType> wGate =
      getStaticTensorOfRank(diag, wGateType, "w_gate", 3, "[E, H, F]");
  if (failed(wGate))
    return failure();
  // Group g goes through expert g mod E: G is a multiple of E (G = E in a
  // global program, ep * E/ep peer-major groups under expert parallelism).
  int64_t numExperts = wGate->getDimSize(0);
  if (numExperts == 0 || numGroups % numExperts != 0 ||
      wGate->getDimSize(1) != hidden)
    return diag.error("expected expert weight w_gate to have shape [E, H, F] "
                      "with E dividing the ",
                      numGroups, " groups of group_sizes and H = ", hidden,
                      ", got ", formatShape(wGate->getShape()));
  int64_t ffn = wGate->getDimSize(2);
  SmallVector<int64_t> upShape = {numExperts, hidden, ffn};
  SmallVector<int64_t> downShape = {numExperts, ffn, hidden};
  FailureOr<RankedTensorType> wUp = getStaticTensor(diag, wUpType, "w_up");
  if (failed(wUp))
    return failure();
  FailureOr<RankedTensorType> wDown =
      getStaticTensor(diag, wDownType, "w_down");
  if (failed(wDown))
    return failure();
  if (failed(verifyShape(diag, *wUp, "expert weight w_up", "[E, H, F]",
                         upShape)) ||
      failed(verifyShape(diag, *wDown, "expert weight w_down", "[E, F, H]",
                         downShape)) ||
      failed(
          verifySameElementType(diag, *wGate, "w_gate", *sorted, "sorted")) ||
      failed(verifySameElementType(diag, *wUp, "w_up", *sorted, "sorted")) ||
      failed(verifySameElementType(diag, *wDown, "w_down", *sorted, "sorted")))
    return failure();
  return *sorted;
}

LogicalResult ExpertsOp::verify() {
  return checkExperts(OpDiag(*this), getSorted().getType(),
                      getGroupSizes().getType(), getWGate().getType(),
                      getWUp().getType(), getWDown().getType());
}

//===----------------------------------------------------------------------===//
// PeerCountsOp
//===----------------------------------------------------------------------===//

LogicalResult
PeerCountsOp::inferReturnTypes(MLIRContext *context,
                               std::optional<Location> location,
                               Adaptor adaptor,
                               SmallVectorImpl<Type> &inferredReturnTypes) {
  OpDiag diag(location, getOperationName());
  IntegerAttr peers = adaptor.getPeersAttr();
  if (!peers)
    return diag.error("requires attribute 'peers'");
  if (failed(verifyPositive(diag, peers.getInt(), "peers")))
    return failure();
  inferredReturnTypes.push_back(
      RankedTensorType::get({peers.getInt()}, IntegerType::get(context, 32)));
  return success();
}

LogicalResult PeerCountsOp::verify() {
  OpDiag diag(*this);
  FailureOr<RankedTensorType> counts =
      getStaticTensorOfRank(diag, getCounts().getType(), "counts", 1, "[N]");
  if (failed(counts))
    return failure();
  int64_t peers = getPeers();
  if (counts->getDimSize(0) % peers != 0)
    return diag.error("peers = ", peers, " does not divide the ",
                      counts->getDimSize(0), " counts");
  return success();
}

//===----------------------------------------------------------------------===//
// CombineOp
//===----------------------------------------------------------------------===//

LogicalResult
CombineOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                            Adaptor adaptor,
                            SmallVectorImpl<Type> &inferredReturnTypes) {
  OpDiag diag(location, getOperationName());
  FailureOr<RankedTensorType> expertOut = getStaticTensorOfRank(
      diag, adaptor.getExpertOut().getType(), "expert_out", 2, "[T*K, H]");
  if (failed(expertOut))
    return failure();
  FailureOr<RankedTensorType> indices = getStaticTensorOfRank(
      diag, adaptor.getIndices().getType(), "indices", 3, "[B, S, K]");
  if (failed(indices))
    return failure();
  inferredReturnTypes.push_back(
      RankedTensorType::get({indices->getDimSize(0), indices->getDimSize(1),
                             expertOut->getDimSize(1)},
                            expertOut->getElementType()));
  return success();
}

FailureOr<RankedTensorType>
moefold::moe::detail::checkCombine(const OpDiag &diag, Type expertOutType,
                                   Type indicesType, Type scoresType) {
  FailureOr<RankedTensorType> expertOut =
      getStaticTensorOfRank(diag, expertOutType, "expert_out", 2, "[T*K, H]");
  if (failed(expertOut))
    return failure();
  FailureOr<RankedTensorType> indices =
      getStaticTensorOfRank(diag, indicesType, "indices", 3, "[B, S, K]");
  if (failed(indices))
    return failure();
  int64_t tokens = indices->getDimSize(0) * indices->getDimSize(1);
  int64_t topK = indices->getDimSize(2);
  if (expertOut->getDimSize(0) != tokens * topK)
    return diag.error("expected expert_out to have T*K = ", tokens, " * ", topK,
                      " = ", tokens * topK, " rows, got ",
                      expertOut->getDimSize(0));
  // Without scores (applied before the experts) the copies sum unweighted.
  if (scoresType) {
    FailureOr<RankedTensorType> scores =
        getStaticTensor(diag, scoresType, "scores");
    if (failed(scores))
      return failure();
    if (failed(verifyShape(diag, *scores, "scores", "[B, S, K]",
                           indices->getShape())) ||
        failed(verifySameElementType(diag, *scores, "scores", *expertOut,
                                     "expert_out")))
      return failure();
  }
  return RankedTensorType::get({indices->getDimSize(0), indices->getDimSize(1),
                                expertOut->getDimSize(1)},
                               expertOut->getElementType());
}

LogicalResult CombineOp::verify() {
  Value scores = getScores();
  return checkCombine(OpDiag(*this), getExpertOut().getType(),
                      getIndices().getType(),
                      scores ? scores.getType() : Type());
}

std::optional<int64_t> CombineOp::findNumExperts() {
  Value indices = getIndices();
  for (Operation *user : indices.getUsers()) {
    if (auto dispatch = dyn_cast<DispatchOp>(user);
        dispatch && dispatch.getIndices() == indices)
      return dispatch.getNumExpertsAttr().getInt();
    if (auto aux = dyn_cast<AuxLossOp>(user);
        aux && aux.getIndices() == indices)
      return aux.getNumExpertsAttr().getInt();
  }
  if (auto router = indices.getDefiningOp<RouterOp>())
    return cast<RankedTensorType>(router.getProbs().getType()).getDimSize(2);
  return std::nullopt;
}
