//===- LayerOps.cpp - embedding, norm, linear, attention, shared expert ---===//
//
// Result type inference does only what it needs to build the result type;
// every other check lives in the verifier. Both report through OpDiag.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "MoEOpUtils.h"
#include "ShapeRules.h"

#include <cmath>

using namespace mlir;
using namespace moefold::moe;
using namespace moefold::moe::detail;

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult
EmbeddingOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                              Adaptor adaptor,
                              SmallVectorImpl<Type> &inferredReturnTypes) {
  OpDiag diag(location, getOperationName());
  FailureOr<RankedTensorType> table = getStaticTensorOfRank(
      diag, adaptor.getTable().getType(), "table", 2, "[V, H]");
  if (failed(table))
    return failure();
  FailureOr<RankedTensorType> tokens = getStaticTensorOfRank(
      diag, adaptor.getTokens().getType(), "tokens", 2, "[B, S]");
  if (failed(tokens))
    return failure();
  inferredReturnTypes.push_back(RankedTensorType::get(
      {tokens->getDimSize(0), tokens->getDimSize(1), table->getDimSize(1)},
      table->getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// RMSNormOp
//===----------------------------------------------------------------------===//

LogicalResult
RMSNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                            Adaptor adaptor,
                            SmallVectorImpl<Type> &inferredReturnTypes) {
  OpDiag diag(location, getOperationName());
  FailureOr<RankedTensorType> x = getStaticTensorOfMinRank(
      diag, adaptor.getX().getType(), "x", 1, "[..., H]");
  if (failed(x))
    return failure();
  inferredReturnTypes.push_back(*x);
  return success();
}

FailureOr<RankedTensorType>
moefold::moe::detail::checkRMSNorm(const OpDiag &diag, Type xType,
                                   Type weightType, double epsilon) {
  FailureOr<RankedTensorType> x =
      getStaticTensorOfMinRank(diag, xType, "x", 1, "[..., H]");
  if (failed(x))
    return failure();
  FailureOr<RankedTensorType> weight =
      getStaticTensor(diag, weightType, "weight");
  if (failed(weight))
    return failure();
  if (failed(verifyShape(diag, *weight, "weight", "[H]",
                         {x->getShape().back()})) ||
      failed(verifySameElementType(diag, *weight, "weight", *x, "x")))
    return failure();
  if (!(epsilon > 0.0) || !std::isfinite(epsilon))
    return diag.error("epsilon must be positive and finite, got ", epsilon);
  return *x;
}

LogicalResult RMSNormOp::verify() {
  return checkRMSNorm(OpDiag(*this), getX().getType(), getWeight().getType(),
                      getEpsilon().convertToDouble());
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult
LinearOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                           Adaptor adaptor,
                           SmallVectorImpl<Type> &inferredReturnTypes) {
  OpDiag diag(location, getOperationName());
  FailureOr<RankedTensorType> x = getStaticTensorOfMinRank(
      diag, adaptor.getX().getType(), "x", 1, "[..., K]");
  if (failed(x))
    return failure();
  FailureOr<RankedTensorType> weight = getStaticTensorOfRank(
      diag, adaptor.getWeight().getType(), "weight", 2, "[K, N]");
  if (failed(weight))
    return failure();
  SmallVector<int64_t> shape(x->getShape());
  shape.back() = weight->getDimSize(1);
  inferredReturnTypes.push_back(
      RankedTensorType::get(shape, x->getElementType()));
  return success();
}

FailureOr<RankedTensorType>
moefold::moe::detail::checkLinear(const OpDiag &diag, Type xType,
                                  Type weightType) {
  FailureOr<RankedTensorType> x =
      getStaticTensorOfMinRank(diag, xType, "x", 1, "[..., K]");
  if (failed(x))
    return failure();
  FailureOr<RankedTensorType> weight =
      getStaticTensorOfRank(diag, weightType, "weight", 2, "[K, N]");
  if (failed(weight))
    return failure();
  int64_t in = x->getShape().back();
  if (weight->getDimSize(0) != in)
    return diag.error("expected weight dim 0 to equal input size ", in,
                      ", got ", weight->getDimSize(0));
  if (failed(verifySameElementType(diag, *weight, "weight", *x, "x")))
    return failure();
  SmallVector<int64_t> shape(x->getShape());
  shape.back() = weight->getDimSize(1);
  return RankedTensorType::get(shape, x->getElementType());
}

LogicalResult LinearOp::verify() {
  return checkLinear(OpDiag(*this), getX().getType(), getWeight().getType());
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult
AttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                              Adaptor adaptor,
                              SmallVectorImpl<Type> &inferredReturnTypes) {
  OpDiag diag(location, getOperationName());
  FailureOr<RankedTensorType> q = getStaticTensorOfRank(
      diag, adaptor.getQ().getType(), "q", 3, "[B, S, Nq*D]");
  if (failed(q))
    return failure();
  inferredReturnTypes.push_back(*q);
  return success();
}

int64_t AttentionOp::getHeadDim() {
  return cast<RankedTensorType>(getQ().getType()).getDimSize(2) /
         static_cast<int64_t>(getNumHeads());
}

FailureOr<RankedTensorType> moefold::moe::detail::checkAttention(
    const OpDiag &diag, Type qType, Type kType, Type vType, int64_t numHeads,
    int64_t numKVHeads, std::optional<double> ropeTheta) {
  FailureOr<RankedTensorType> q =
      getStaticTensorOfRank(diag, qType, "q", 3, "[B, S, Nq*D]");
  if (failed(q))
    return failure();
  if (failed(verifyPositive(diag, numHeads, "num_heads")) ||
      failed(verifyPositive(diag, numKVHeads, "num_kv_heads")))
    return failure();
  if (numHeads % numKVHeads != 0)
    return diag.error("num_heads = ", numHeads,
                      " is not a multiple of num_kv_heads = ", numKVHeads);

  int64_t qWidth = q->getDimSize(2);
  if (qWidth % numHeads != 0)
    return diag.error("q width ", qWidth,
                      " is not divisible by num_heads = ", numHeads);
  int64_t headDim = qWidth / numHeads;
  if (ropeTheta) {
    if (!(*ropeTheta > 0.0) || !std::isfinite(*ropeTheta))
      return diag.error("rope_theta must be positive and finite, got ",
                        *ropeTheta);
    if (headDim % 2 != 0)
      return diag.error("rope_theta needs an even head dimension, got D = ",
                        headDim);
  }

  FailureOr<RankedTensorType> k =
      getStaticTensorOfRank(diag, kType, "k", 3, "[B, S, Nkv*D]");
  if (failed(k))
    return failure();
  FailureOr<RankedTensorType> v = getStaticTensor(diag, vType, "v");
  if (failed(v))
    return failure();
  SmallVector<int64_t> kvShape = {q->getDimSize(0), q->getDimSize(1),
                                  numKVHeads * headDim};
  std::string layout =
      "[B, S, Nkv*D] with Nkv = " + std::to_string(numKVHeads) +
      ", D = " + std::to_string(headDim);
  if (failed(verifyShape(diag, *k, "k", layout, kvShape)) ||
      failed(verifyShape(diag, *v, "v", layout, kvShape)) ||
      failed(verifySameElementType(diag, *k, "k", *q, "q")) ||
      failed(verifySameElementType(diag, *v, "v", *q, "q")))
    return failure();
  return *q;
}

LogicalResult moefold::moe::detail::checkQKNorm(const OpDiag &diag,
                                                RankedTensorType q,
                                                int64_t numHeads,
                                                ValueRange norms,
                                                FloatAttr epsilon) {
  if (norms.empty()) {
    if (epsilon)
      return diag.error("epsilon is only allowed with qk_norm");
    return success();
  }
  if (norms.size() != 2)
    return diag.error("qk_norm expects two weights (q, k), got ",
                      norms.size());
  double eps = qkNormEpsilonOf(epsilon);
  if (!(eps > 0.0) || !std::isfinite(eps))
    return diag.error("epsilon must be positive and finite, got ", eps);
  int64_t headDim = q.getDimSize(2) / numHeads;
  SmallVector<int64_t> shape = {headDim};
  std::string layout = "[D]";
  const char *names[] = {"q_norm", "k_norm"};
  for (auto [value, name] : llvm::zip(norms, names)) {
    FailureOr<RankedTensorType> w = getStaticTensor(diag, value.getType(), name);
    if (failed(w) || failed(verifyShape(diag, *w, name, layout, shape)) ||
        failed(verifySameElementType(diag, *w, name, q, "q")))
      return failure();
  }
  return success();
}

LogicalResult AttentionOp::verify() {
  OpDiag diag(*this);
  FailureOr<RankedTensorType> q = checkAttention(
      diag, getQ().getType(), getK().getType(), getV().getType(),
      getNumHeadsAttr().getInt(), getNumKvHeadsAttr().getInt(),
      ropeThetaOf(getRopeThetaAttr()));
  if (failed(q))
    return failure();
  return checkQKNorm(diag, *q, getNumHeadsAttr().getInt(), getQkNorm(),
                     getEpsilonAttr());
}

//===----------------------------------------------------------------------===//
// SharedExpertOp
//===----------------------------------------------------------------------===//

LogicalResult SharedExpertOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  OpDiag diag(location, getOperationName());
  FailureOr<RankedTensorType> x = getStaticTensorOfMinRank(
      diag, adaptor.getX().getType(), "x", 1, "[..., H]");
  if (failed(x))
    return failure();
  inferredReturnTypes.push_back(*x);
  return success();
}

FailureOr<RankedTensorType>
moefold::moe::detail::checkSharedExpert(const OpDiag &diag, Type xType,
                                        Type wGateType, Type wUpType,
                                        Type wDownType, Type gateType) {
  FailureOr<RankedTensorType> x =
      getStaticTensorOfMinRank(diag, xType, "x", 1, "[..., H]");
  if (failed(x))
    return failure();
  int64_t hidden = x->getShape().back();
  FailureOr<RankedTensorType> wGate =
      getStaticTensorOfRank(diag, wGateType, "w_gate", 2, "[H, F]");
  if (failed(wGate))
    return failure();
  if (wGate->getDimSize(0) != hidden)
    return diag.error("expected w_gate dim 0 to equal hidden size ", hidden,
                      ", got ", wGate->getDimSize(0));
  int64_t ffn = wGate->getDimSize(1);
  FailureOr<RankedTensorType> wUp = getStaticTensor(diag, wUpType, "w_up");
  if (failed(wUp))
    return failure();
  FailureOr<RankedTensorType> wDown =
      getStaticTensor(diag, wDownType, "w_down");
  if (failed(wDown))
    return failure();
  if (failed(verifyShape(diag, *wUp, "w_up", "[H, F]", {hidden, ffn})) ||
      failed(verifyShape(diag, *wDown, "w_down", "[F, H]", {ffn, hidden})) ||
      failed(verifySameElementType(diag, *wGate, "w_gate", *x, "x")) ||
      failed(verifySameElementType(diag, *wUp, "w_up", *x, "x")) ||
      failed(verifySameElementType(diag, *wDown, "w_down", *x, "x")))
    return failure();
  if (gateType) {
    FailureOr<RankedTensorType> gate = getStaticTensor(diag, gateType, "gate");
    if (failed(gate))
      return failure();
    if (failed(verifyShape(diag, *gate, "gate", "[H, 1]", {hidden, 1})) ||
        failed(verifySameElementType(diag, *gate, "gate", *x, "x")))
      return failure();
  }
  return *x;
}

LogicalResult SharedExpertOp::verify() {
  Value gate = getGate();
  return checkSharedExpert(
      OpDiag(*this), getX().getType(), getWGate().getType(), getWUp().getType(),
      getWDown().getType(), gate ? gate.getType() : Type());
}
