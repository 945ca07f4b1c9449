//===- PartitionRules.cpp - factor rules used by moe-partition ------------===//
//
// One rule per op moe-partition rewrites (see PartitionRules.h). Notation in
// the comments: `b s h` batch, sequence, hidden; `l*` the leading dims of a
// `[..., X]` operand; `(RO)` replicated-only.
//
//===----------------------------------------------------------------------===//

#include "PartitionRules.h"

#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace moefold::moe;
using namespace moefold::moe::partition;

bool TensorRule::hasFactor(unsigned factor) const {
  return llvm::any_of(
      dims, [&](const DimFactors &d) { return llvm::is_contained(d, factor); });
}

bool OpRule::isReductionFactor(unsigned factor) const {
  return llvm::none_of(
      results, [&](const TensorRule &r) { return r.hasFactor(factor); });
}

bool OpRule::isLinearOperand(unsigned operand) const {
  return linearKind != LinearKind::None &&
         llvm::is_contained(linearOperands, operand);
}

namespace {

/// Builds an OpRule; tensors are lists of factor ids per dim.
class RuleBuilder {
public:
  unsigned factor(StringRef name, bool replicatedOnly = false) {
    rule.factors.push_back({name.str(), replicatedOnly});
    return rule.factors.size() - 1;
  }
  /// One parallel factor per leading dim of a rank-`rank` tensor whose
  /// last `trailing` dims are named separately.
  SmallVector<unsigned> leading(int64_t rank, int64_t trailing) {
    SmallVector<unsigned> ids;
    for (int64_t i = 0; i + trailing < rank; ++i)
      ids.push_back(factor(("l" + Twine(i)).str()));
    return ids;
  }
  static TensorRule tensor(ArrayRef<unsigned> dims) {
    TensorRule t;
    for (unsigned d : dims)
      t.dims.push_back({d});
    return t;
  }
  void operand(TensorRule t) { rule.operands.push_back(std::move(t)); }
  void operand(ArrayRef<unsigned> dims) { operand(tensor(dims)); }
  void result(TensorRule t) { rule.results.push_back(std::move(t)); }
  void result(ArrayRef<unsigned> dims) { result(tensor(dims)); }
  void linear(LinearKind kind, ArrayRef<unsigned> operands) {
    rule.linearKind = kind;
    rule.linearOperands.assign(operands.begin(), operands.end());
  }

  OpRule rule;
};

int64_t rankOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getRank();
}

SmallVector<unsigned> concat(ArrayRef<unsigned> a, ArrayRef<unsigned> b) {
  SmallVector<unsigned> r(a.begin(), a.end());
  r.append(b.begin(), b.end());
  return r;
}

/// Elementwise over tensors of one shape; 0-d operands (scalars) carry no
/// factor and are needed whole (R) on every rank.
OpRule elementwise(Operation *op) {
  RuleBuilder b;
  int64_t rank = 0;
  for (Value v : op->getResults())
    rank = std::max(rank, rankOf(v));
  SmallVector<unsigned> dims = b.leading(rank, 0);
  for (Value v : op->getOperands())
    b.operand(rankOf(v) == rank ? dims : SmallVector<unsigned>{});
  for (Value v : op->getResults())
    b.result(rankOf(v) == rank ? dims : SmallVector<unsigned>{});
  return b.rule;
}

// x [l*, h], w [h] -> [l*, h]; h (RO). The gradient adds dout [l*, h] and
// gives dx [l*, h], dw [h] (dw sums over l*).
OpRule rmsNorm(Value x, bool grad) {
  RuleBuilder b;
  SmallVector<unsigned> l = b.leading(rankOf(x), 1);
  unsigned h = b.factor("h", /*replicatedOnly=*/true);
  SmallVector<unsigned> xd = concat(l, {h});
  b.operand(xd);
  b.operand({h});
  if (!grad) {
    b.result(xd);
    return b.rule;
  }
  b.operand(xd);
  b.result(xd);
  b.result({h});
  // rms_norm_grad is linear in dout.
  b.linear(LinearKind::Single, {2});
  return b.rule;
}

// x [l*, k], w [k, n] -> [l*, n]: k is a reduction factor (row-parallel).
// The gradient adds dout [l*, n] and gives dx [l*, k] (sums over n) and
// dw [k, n] (sums over l*).
OpRule linear(Value x, bool grad) {
  RuleBuilder b;
  SmallVector<unsigned> l = b.leading(rankOf(x), 1);
  unsigned k = b.factor("k");
  unsigned n = b.factor("n");
  b.operand(concat(l, {k}));
  b.operand({k, n});
  if (!grad) {
    b.result(concat(l, {n}));
    b.linear(LinearKind::Single, {0, 1});
    return b.rule;
  }
  b.operand(concat(l, {n}));
  b.result(concat(l, {k}));
  b.result({k, n});
  b.linear(LinearKind::Single, {2});
  return b.rule;
}

// table [v, h], tokens [l*] -> [l*, h]. v (RO): the kernel looks rows up by
// global token id. The op is linear in the table, so a vocab-sharded table
// becomes P by zero-padding it (spmd.convert V -> P) and the result is P.
// The gradient: tokens [l*], dout [l*, h] -> dtable [v, h] (sums over l*).
OpRule embedding(Value tokens, bool grad) {
  RuleBuilder b;
  SmallVector<unsigned> l = b.leading(rankOf(tokens), 0);
  unsigned v = b.factor("v", /*replicatedOnly=*/true);
  unsigned h = b.factor("h");
  if (!grad) {
    b.operand({v, h});
    b.operand(l);
    b.result(concat(l, {h}));
    b.linear(LinearKind::Single, {0});
    return b.rule;
  }
  b.operand(l);
  b.operand(concat(l, {h}));
  b.result({v, h});
  b.linear(LinearKind::Single, {1});
  return b.rule;
}

// q [b, s, Nq*D], k, v [b, s, Nkv*D] -> [b, s, Nq*D]: heads split in whole
// heads only; s (RO): the key sequence. The gradient adds dout and gives
// dq, dk, dv, linear in dout.
OpRule attention(bool grad) {
  RuleBuilder b;
  unsigned bf = b.factor("b");
  unsigned s = b.factor("s", /*replicatedOnly=*/true);
  unsigned heads = b.factor("heads");
  b.rule.headFactor = heads;
  SmallVector<unsigned> t = {bf, s, heads};
  b.operand(t);
  b.operand(t);
  b.operand(t);
  if (!grad) {
    b.result(t);
    return b.rule;
  }
  b.operand(t);
  b.result(t);
  b.result(t);
  b.result(t);
  b.linear(LinearKind::Single, {3});
  return b.rule;
}

// x [b, s, h], w [h, e], bias [e]? -> scores [b, s, k], indices [b, s, k],
// probs [b, s, e]; h, e, k (RO): scoring and top-k need whole rows.
OpRule router(RouterOp op) {
  RuleBuilder b;
  unsigned bf = b.factor("b"), s = b.factor("s");
  unsigned h = b.factor("h", true), e = b.factor("e", true),
           k = b.factor("k", true);
  b.operand({bf, s, h});
  b.operand({h, e});
  if (op.getBias())
    b.operand({e});
  b.result({bf, s, k});
  b.result({bf, s, k});
  b.result({bf, s, e});
  return b.rule;
}

// x [b, s, h], w [h, e], probs [b, s, e], indices [b, s, k],
// dscores [b, s, k], dprobs [b, s, e] -> dx [b, s, h], dw [h, e].
OpRule routerGrad() {
  RuleBuilder b;
  unsigned bf = b.factor("b"), s = b.factor("s");
  unsigned h = b.factor("h", true), e = b.factor("e", true),
           k = b.factor("k", true);
  b.operand({bf, s, h});
  b.operand({h, e});
  b.operand({bf, s, e});
  b.operand({bf, s, k});
  b.operand({bf, s, k});
  b.operand({bf, s, e});
  b.result({bf, s, h});
  b.result({h, e});
  b.linear(LinearKind::Joint, {4, 5});
  return b.rule;
}

/// The compound row dim of a dispatched tensor: tokens (b, s) times top-k.
TensorRule rows(unsigned bf, unsigned s, unsigned h) {
  TensorRule t;
  t.dims.push_back({bf, s});
  t.dims.push_back({h});
  return t;
}

// x [b, s, h], indices [b, s, k] -> sorted [(b s) k, h], group_sizes [e]
// (counts of this rank's rows: P over an axis that splits the tokens).
OpRule dispatch() {
  RuleBuilder b;
  unsigned bf = b.factor("b"), s = b.factor("s"), h = b.factor("h");
  unsigned k = b.factor("k", true), e = b.factor("e", true);
  b.operand({bf, s, h});
  b.operand({bf, s, k});
  b.result(rows(bf, s, h));
  b.result({e});
  return b.rule;
}

// indices [b, s, k], dsorted [(b s) k, h] -> dx [b, s, h].
OpRule dispatchGrad() {
  RuleBuilder b;
  unsigned bf = b.factor("b"), s = b.factor("s"), h = b.factor("h");
  unsigned k = b.factor("k", true);
  b.operand({bf, s, k});
  b.operand(rows(bf, s, h));
  b.result({bf, s, h});
  b.linear(LinearKind::Single, {1});
  return b.rule;
}

// sorted [n, h], group_sizes [e] (summed over n), w_gate, w_up [e, h, f],
// w_down [e, f, h] -> [n, h]. Only the rows split (experts replicated:
// ep = 1; expert parallelism is moe-fold-dispatch's job).
OpRule experts(bool grad) {
  RuleBuilder b;
  unsigned n = b.factor("n");
  unsigned h = b.factor("h", true), e = b.factor("e", true),
           f = b.factor("f", true);
  b.operand({n, h});
  TensorRule sizes = RuleBuilder::tensor({e});
  sizes.summedOver.push_back(n);
  b.operand(sizes);
  b.operand({e, h, f});
  b.operand({e, h, f});
  b.operand({e, f, h});
  if (!grad) {
    b.result({n, h});
    return b.rule;
  }
  b.operand({n, h});
  b.result({n, h});
  b.result({e, h, f});
  b.result({e, h, f});
  b.result({e, f, h});
  return b.rule;
}

// expert_out [(b s) k, h], indices [b, s, k], scores [b, s, k] -> [b, s, h].
// The gradient adds dout [b, s, h] and gives dexpert_out and dscores
// (dscores sums over h).
OpRule combine(bool grad) {
  RuleBuilder b;
  unsigned bf = b.factor("b"), s = b.factor("s"), h = b.factor("h");
  unsigned k = b.factor("k", true);
  b.operand(rows(bf, s, h));
  b.operand({bf, s, k});
  b.operand({bf, s, k});
  if (!grad) {
    b.result({bf, s, h});
    b.linear(LinearKind::Single, {0, 2});
    return b.rule;
  }
  b.operand({bf, s, h});
  b.result(rows(bf, s, h));
  b.result({bf, s, k});
  b.linear(LinearKind::Single, {3});
  return b.rule;
}

// x [l*, h], w_gate, w_up [h, f], w_down [f, h], gate [h, 1]? -> [l*, h]:
// f is a reduction factor (column- then row-parallel inside the op).
// The gradient adds dout [l*, h] and gives dx, dw_gate, dw_up, dw_down
// [, dgate].
OpRule sharedExpert(Value x, bool hasGate, bool grad) {
  RuleBuilder b;
  SmallVector<unsigned> l = b.leading(rankOf(x), 1);
  unsigned h = b.factor("h", true);
  unsigned f = b.factor("f");
  unsigned one = b.factor("one", true);
  SmallVector<unsigned> xd = concat(l, {h});
  b.operand(xd);
  b.operand({h, f});
  b.operand({h, f});
  b.operand({f, h});
  if (hasGate)
    b.operand({h, one});
  if (!grad) {
    b.result(xd);
    return b.rule;
  }
  b.operand(xd);
  b.result(xd);
  b.result({h, f});
  b.result({h, f});
  b.result({f, h});
  if (hasGate)
    b.result({h, one});
  b.linear(LinearKind::Single, {hasGate ? 5u : 4u});
  return b.rule;
}

// probs [b, s, e], indices [b, s, k] -> 0-d: a product of two global means,
// not a sum over tokens, so every factor is (RO). The gradient adds dloss
// and gives dprobs [b, s, e].
OpRule auxLoss(bool grad) {
  RuleBuilder b;
  unsigned bf = b.factor("b", true), s = b.factor("s", true),
           e = b.factor("e", true), k = b.factor("k", true);
  b.operand({bf, s, e});
  b.operand({bf, s, k});
  if (!grad) {
    b.result(ArrayRef<unsigned>{});
    return b.rule;
  }
  b.operand(ArrayRef<unsigned>{});
  b.result({bf, s, e});
  b.linear(LinearKind::Single, {2});
  return b.rule;
}

// logits [l*, v], targets [l*] -> 0-d (a sum over tokens divided by the
// global token count: P over the axes that split the tokens); v (RO) in v1.
// The gradient adds dloss and gives dlogits [l*, v].
OpRule crossEntropy(Value targets, bool grad) {
  RuleBuilder b;
  SmallVector<unsigned> l = b.leading(rankOf(targets), 0);
  unsigned v = b.factor("v", true);
  b.operand(concat(l, {v}));
  b.operand(l);
  if (!grad) {
    b.result(ArrayRef<unsigned>{});
    return b.rule;
  }
  b.operand(ArrayRef<unsigned>{});
  b.result(concat(l, {v}));
  b.linear(LinearKind::Single, {2});
  return b.rule;
}

// a, b -> a + b.
OpRule add(Operation *op) {
  OpRule rule = elementwise(op);
  rule.linearKind = LinearKind::Joint;
  rule.linearOperands = {0, 1};
  return rule;
}

} // namespace

std::optional<OpRule> moefold::moe::partition::getPartitionRule(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<OpRule>>(op)
      .Case([](EmbeddingOp o) { return embedding(o.getTokens(), false); })
      .Case([](EmbeddingGradOp o) { return embedding(o.getTokens(), true); })
      .Case([](RMSNormOp o) { return rmsNorm(o.getX(), false); })
      .Case([](RMSNormGradOp o) { return rmsNorm(o.getX(), true); })
      .Case([](LinearOp o) { return linear(o.getX(), false); })
      .Case([](LinearGradOp o) { return linear(o.getX(), true); })
      .Case([](AttentionOp) { return attention(false); })
      .Case([](AttentionGradOp) { return attention(true); })
      .Case([](SwiGLUOp o) { return elementwise(o); })
      .Case([](SwiGLUGradOp o) {
        OpRule rule = elementwise(o);
        rule.linearKind = LinearKind::Single;
        rule.linearOperands = {2};
        return rule;
      })
      .Case([](AddOp o) { return add(o); })
      .Case([](RouterOp o) { return router(o); })
      .Case([](RouterGradOp) { return routerGrad(); })
      .Case([](DispatchOp) { return dispatch(); })
      .Case([](DispatchGradOp) { return dispatchGrad(); })
      .Case([](ExpertsOp) { return experts(false); })
      .Case([](ExpertsGradOp) { return experts(true); })
      .Case([](CombineOp) { return combine(false); })
      .Case([](CombineGradOp) { return combine(true); })
      .Case([](SharedExpertOp o) {
        return sharedExpert(o.getX(), static_cast<bool>(o.getGate()), false);
      })
      .Case([](SharedExpertGradOp o) {
        return sharedExpert(o.getX(), static_cast<bool>(o.getGate()), true);
      })
      .Case([](AuxLossOp) { return auxLoss(false); })
      .Case([](AuxLossGradOp) { return auxLoss(true); })
      .Case(
          [](CrossEntropyOp o) { return crossEntropy(o.getTargets(), false); })
      .Case([](CrossEntropyGradOp o) {
        return crossEntropy(o.getTargets(), true);
      })
      .Case<SGDStepOp, AdamWStepOp, ClipScaleOp>(
          [](Operation *o) { return elementwise(o); })
      .Default([](Operation *) { return std::nullopt; });
}
