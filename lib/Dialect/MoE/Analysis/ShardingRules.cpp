//===- ShardingRules.cpp - Factor-based sharding rules of moe ops ---------===//
//
// The rule table of docs/propagation.md. Each rule is built from one op: its
// factors carry the op's static sizes, so constraints (whole heads,
// divisibility) can be checked without looking at the op again.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/MoE/Analysis/ShardingRules.h"

#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace moefold;
using namespace moefold::moe;

StringRef moefold::moe::stringifyFactorKind(FactorKind kind) {
  switch (kind) {
  case FactorKind::Parallel:
    return "parallel";
  case FactorKind::Reduction:
    return "reduction";
  case FactorKind::ReplicatedOnly:
    return "replicated-only";
  }
  llvm_unreachable("unknown factor kind");
}

bool TensorFactors::hasFactor(unsigned factor, int64_t *dim) const {
  for (auto [index, factors] : llvm::enumerate(dims)) {
    if (llvm::is_contained(factors, factor)) {
      if (dim)
        *dim = index;
      return true;
    }
  }
  return false;
}

bool ShardingRule::reducesInto(unsigned factor, unsigned result) const {
  const TensorFactors &tensor = results[result];
  // A factor no operand carries (router's k, dispatch's e) indexes only
  // other results: nothing is summed over it.
  bool inOperand = llvm::any_of(operands, [&](const TensorFactors &operand) {
    return operand.hasFactor(factor);
  });
  return inOperand && factors[factor].kind != FactorKind::ReplicatedOnly &&
         tensor.isTensor && !tensor.hasFactor(factor) &&
         !llvm::is_contained(tensor.independentOf, factor);
}

bool ShardingRule::areCompatible(unsigned a, unsigned b) const {
  if (a == b)
    return true;
  for (const TensorFactors &result : results)
    if (result.hasFactor(a) || result.hasFactor(b))
      return false;
  for (const TensorFactors &operand : operands)
    if (operand.hasFactor(a) && operand.hasFactor(b))
      return false;
  return true;
}

static void printTensorFactors(raw_ostream &os, const ShardingRule &rule,
                               const TensorFactors &tensor) {
  if (!tensor.isTensor) {
    os << "-";
    return;
  }
  os << "[";
  llvm::interleaveComma(tensor.dims, os, [&](ArrayRef<unsigned> factors) {
    llvm::interleave(
        factors, os, [&](unsigned id) { os << rule.getFactor(id).name; }, "*");
  });
  os << "]";
  if (tensor.view == TensorView::Dense)
    os << "@dense";
  else if (tensor.view == TensorView::Expert)
    os << "@expert";
  if (tensor.partialOver)
    os << "{partial over " << rule.getFactor(*tensor.partialOver).name << "}";
}

void ShardingRule::print(raw_ostream &os) const {
  os << "(";
  llvm::interleaveComma(operands, os, [&](const TensorFactors &tensor) {
    printTensorFactors(os, *this, tensor);
  });
  os << ") -> (";
  for (auto [index, tensor] : llvm::enumerate(results)) {
    if (index > 0)
      os << ", ";
    printTensorFactors(os, *this, tensor);
    // The factors this result sums over (P(sum) when they are sharded).
    SmallVector<StringRef, 4> sums;
    for (auto [id, factor] : llvm::enumerate(factors))
      if (reducesInto(id, index))
        sums.push_back(factor.name);
    if (!sums.empty()) {
      os << " sum(";
      llvm::interleaveComma(sums, os);
      os << ")";
    }
    if (crossViewPartial[index])
      os << " cross-view";
  }
  os << ") {";
  llvm::interleaveComma(factors, os, [&](const ShardingFactor &factor) {
    os << factor.name << "=" << factor.size << " "
       << stringifyFactorKind(factor.kind);
    for (const WholeUnitConstraint &unit : factor.wholeUnits)
      os << " whole(" << unit.countName << "=" << unit.count << ")";
  });
  os << "}";
  for (const LinearGroup &group : linearGroups) {
    os << " linear{";
    llvm::interleaveComma(group.operands, os);
    os << "}->{";
    llvm::interleaveComma(group.results, os);
    os << "}";
  }
}

raw_ostream &moefold::moe::operator<<(raw_ostream &os,
                                      const ShardingRule &rule) {
  rule.print(os);
  return os;
}

//===----------------------------------------------------------------------===//
// Builder
//===----------------------------------------------------------------------===//

namespace moefold::moe {

using Dims = SmallVector<SmallVector<unsigned, 2>, 4>;

/// Builds one rule; operands and results start with their shapes from the op
/// and get their factors from the table below.
class ShardingRuleBuilder {
public:
  explicit ShardingRuleBuilder(Operation *op) {
    for (Value value : op->getOperands())
      rule.operands.push_back(makeTensor(value.getType()));
    for (Value value : op->getResults())
      rule.results.push_back(makeTensor(value.getType()));
    rule.crossViewPartial.assign(op->getNumResults(), false);
  }

  /// A factor whose kind (parallel or reduction) follows from whether a
  /// result carries it.
  unsigned factor(StringRef name, int64_t size) {
    return addFactor(name, size, std::nullopt);
  }
  unsigned replicatedOnly(StringRef name, int64_t size) {
    return addFactor(name, size, FactorKind::ReplicatedOnly);
  }
  /// A factor that is parallel even though no result carries it (`experts`'
  /// expert dim: a selection, not a sum).
  unsigned parallel(StringRef name, int64_t size) {
    return addFactor(name, size, FactorKind::Parallel);
  }
  ShardingFactor &getFactor(unsigned id) { return rule.factors[id]; }

  int64_t operandDim(unsigned operand, unsigned dim) const {
    return rule.operands[operand].shape[dim];
  }
  int64_t resultDim(unsigned result, unsigned dim) const {
    return rule.results[result].shape[dim];
  }
  unsigned numOperands() const { return rule.operands.size(); }
  unsigned operandRank(unsigned operand) const {
    return rule.operands[operand].shape.size();
  }

  /// Fresh factors for the leading `count` dims of operand `operand`
  /// (`b`, `s` for the usual [B, S, ...], `d0`, `d1`, ... otherwise).
  SmallVector<unsigned, 4> leading(unsigned operand, unsigned count,
                                   bool replicated = false) {
    SmallVector<unsigned, 4> ids;
    for (unsigned dim = 0; dim < count; ++dim) {
      std::string name = count == 2 ? (dim == 0 ? "b" : "s")
                                    : (count == 1 ? std::string("t")
                                                  : "d" + std::to_string(dim));
      int64_t size = operandDim(operand, dim);
      ids.push_back(replicated ? replicatedOnly(name, size)
                               : factor(name, size));
    }
    return ids;
  }
  /// Fresh factors for every dim of operand `operand`, named `d<dim>`, or
  /// `<prefix><operand>_<dim>` when the operands do not share them.
  Dims freshDims(unsigned operand, bool replicated = false,
                 StringRef prefix = "") {
    Dims dims;
    for (unsigned dim = 0; dim < operandRank(operand); ++dim) {
      std::string name =
          prefix.empty() ? "d" + std::to_string(dim)
                         : (prefix + Twine(operand) + "_" + Twine(dim)).str();
      int64_t size = operandDim(operand, dim);
      dims.push_back(
          {replicated ? replicatedOnly(name, size) : factor(name, size)});
    }
    return dims;
  }

  void operand(unsigned index, Dims dims,
               TensorView view = TensorView::Inherit) {
    TensorFactors &tensor = rule.operands[index];
    assert(tensor.isTensor && dims.size() == tensor.shape.size() &&
           "operand rank mismatch in a sharding rule");
    tensor.dims = std::move(dims);
    tensor.view = view;
  }
  void result(unsigned index, Dims dims,
              TensorView view = TensorView::Inherit) {
    TensorFactors &tensor = rule.results[index];
    assert(tensor.isTensor && dims.size() == tensor.shape.size() &&
           "result rank mismatch in a sharding rule");
    tensor.dims = std::move(dims);
    tensor.view = view;
  }
  void partialOver(unsigned operand, unsigned factor) {
    rule.operands[operand].partialOver = factor;
  }
  void independentOf(unsigned result, unsigned factor) {
    rule.results[result].independentOf.push_back(factor);
  }
  void crossViewPartial(unsigned result) {
    rule.crossViewPartial[result] = true;
  }
  void linear(ArrayRef<unsigned> operands, ArrayRef<unsigned> results) {
    rule.linearGroups.push_back({SmallVector<unsigned, 2>(operands),
                                 SmallVector<unsigned, 4>(results)});
  }

  /// Resolves automatic kinds and checks that every tensor got its dims.
  FailureOr<ShardingRule> finish() {
    for (auto [id, factor] : llvm::enumerate(rule.factors)) {
      if (explicitKind[id])
        continue;
      bool inResult = llvm::any_of(rule.results, [&](const TensorFactors &t) {
        return t.hasFactor(id);
      });
      factor.kind = inResult ? FactorKind::Parallel : FactorKind::Reduction;
    }
    for (const TensorFactors &tensor :
         llvm::concat<const TensorFactors>(rule.operands, rule.results))
      if (tensor.isTensor && tensor.dims.size() != tensor.shape.size())
        return failure();
    return std::move(rule);
  }

private:
  static TensorFactors makeTensor(Type type) {
    TensorFactors tensor;
    auto tensorType = dyn_cast<RankedTensorType>(type);
    if (!tensorType || !tensorType.hasStaticShape()) {
      tensor.isTensor = false;
      return tensor;
    }
    tensor.shape.assign(tensorType.getShape().begin(),
                        tensorType.getShape().end());
    return tensor;
  }

  unsigned addFactor(StringRef name, int64_t size,
                     std::optional<FactorKind> kind) {
    ShardingFactor factor;
    factor.name = name.str();
    factor.size = size;
    factor.kind = kind.value_or(FactorKind::Parallel);
    rule.factors.push_back(std::move(factor));
    explicitKind.push_back(kind.has_value());
    return rule.factors.size() - 1;
  }

  ShardingRule rule;
  SmallVector<bool, 8> explicitKind;
};

} // namespace moefold::moe

/// `ids` as one-factor dims, followed by `rest`.
static Dims dimsOf(ArrayRef<unsigned> ids,
                   ArrayRef<SmallVector<unsigned, 2>> rest = {}) {
  Dims dims;
  for (unsigned id : ids)
    dims.push_back({id});
  for (const SmallVector<unsigned, 2> &dim : rest)
    dims.push_back(dim);
  return dims;
}

static Dims append(ArrayRef<unsigned> ids, ArrayRef<unsigned> tail) {
  Dims dims = dimsOf(ids);
  for (unsigned id : tail)
    dims.push_back({id});
  return dims;
}

/// The compound row dim of dispatch/combine tensors: tokens * k.
static SmallVector<unsigned, 2> compound(ArrayRef<unsigned> tokens,
                                         unsigned k) {
  SmallVector<unsigned, 2> dim(tokens.begin(), tokens.end());
  dim.push_back(k);
  return dim;
}

//===----------------------------------------------------------------------===//
// The rule table
//===----------------------------------------------------------------------===//

namespace {
using B = ShardingRuleBuilder;
} // namespace

// Elementwise ops: every dim one shared parallel factor.
static void buildElementwise(B &b, unsigned numOperands, unsigned numResults) {
  Dims dims = b.freshDims(0);
  for (unsigned i = 0; i < numOperands; ++i)
    b.operand(i, dims);
  for (unsigned i = 0; i < numResults; ++i)
    b.result(i, dims);
}

static void buildEmbedding(B &b) {
  // table [V, H], tokens [B, S] -> [B, S, H]: vocab-parallel embedding.
  unsigned v = b.factor("v", b.operandDim(0, 0));
  unsigned h = b.factor("h", b.operandDim(0, 1));
  SmallVector<unsigned, 4> tokens = b.leading(1, b.operandRank(1));
  b.operand(0, dimsOf({v, h}));
  b.operand(1, dimsOf(tokens));
  b.result(0, append(tokens, {h}));
  b.linear({0}, {0});
}

static void buildRMSNorm(B &b) {
  // x [..., H], w [H] -> [..., H]; H is normalised over.
  unsigned rank = b.operandRank(0);
  SmallVector<unsigned, 4> lead = b.leading(0, rank - 1);
  unsigned h = b.replicatedOnly("h", b.operandDim(0, rank - 1));
  b.operand(0, append(lead, {h}));
  b.operand(1, dimsOf({h}));
  b.result(0, append(lead, {h}));
  b.linear({1}, {0});
}

static void buildLinear(B &b) {
  // x [..., K], w [K, N] -> [..., N].
  unsigned rank = b.operandRank(0);
  SmallVector<unsigned, 4> lead = b.leading(0, rank - 1);
  unsigned k = b.factor("k", b.operandDim(1, 0));
  unsigned n = b.factor("n", b.operandDim(1, 1));
  b.operand(0, append(lead, {k}));
  b.operand(1, dimsOf({k, n}));
  b.result(0, append(lead, {n}));
  b.linear({0}, {0});
  b.linear({1}, {0});
}

/// The head factor of attention: split only in whole query and kv heads.
static unsigned attentionHeads(B &b, int64_t numHeads, int64_t numKvHeads) {
  unsigned heads = b.factor("heads", b.operandDim(0, 2));
  b.getFactor(heads).wholeUnits.push_back({"q heads", "num_heads", numHeads});
  b.getFactor(heads).wholeUnits.push_back(
      {"k/v heads", "num_kv_heads", numKvHeads});
  return heads;
}

/// The factors of attention's q, k, v (operands 0..2 of the op and of its
/// gradient): batch, query and key sequence, heads. Both sequence dims are
/// replicated-only in v1 (causal masking needs global positions).
struct AttentionFactors {
  unsigned batch, sq, sk, heads;
};
static AttentionFactors attentionQKV(B &b, int64_t numHeads,
                                     int64_t numKvHeads) {
  AttentionFactors f;
  f.batch = b.factor("b", b.operandDim(0, 0));
  f.sq = b.replicatedOnly("sq", b.operandDim(0, 1));
  f.sk = b.replicatedOnly("sk", b.operandDim(1, 1));
  f.heads = attentionHeads(b, numHeads, numKvHeads);
  b.operand(0, dimsOf({f.batch, f.sq, f.heads}));
  b.operand(1, dimsOf({f.batch, f.sk, f.heads}));
  b.operand(2, dimsOf({f.batch, f.sk, f.heads}));
  return f;
}

static void buildAttention(B &b, int64_t numHeads, int64_t numKvHeads,
                           bool qkNorm) {
  // q [B, S, Nq*D], k, v [B, S, Nkv*D] [, q_norm, k_norm [D]] -> [B, S, Nq*D].
  // The per-head norm weights are whole on every rank.
  AttentionFactors f = attentionQKV(b, numHeads, numKvHeads);
  if (qkNorm) {
    unsigned d = b.replicatedOnly("d", b.operandDim(3, 0));
    b.operand(3, dimsOf({d}));
    b.operand(4, dimsOf({d}));
  }
  b.result(0, dimsOf({f.batch, f.sq, f.heads}));
  b.linear({2}, {0});
}

static void buildAttentionGrad(B &b, int64_t numHeads, int64_t numKvHeads,
                               bool qkNorm) {
  // q, k, v, dout [, q_norm, k_norm] -> dq, dk, dv [, dq_norm, dk_norm].
  // dq_norm and dk_norm sum over the batch and the heads: a pending sum
  // where those are split (tp, dp), reduced by the partitioner.
  auto [batch, sq, sk, heads] = attentionQKV(b, numHeads, numKvHeads);
  b.operand(3, dimsOf({batch, sq, heads}));
  b.result(0, dimsOf({batch, sq, heads}));
  b.result(1, dimsOf({batch, sk, heads}));
  b.result(2, dimsOf({batch, sk, heads}));
  if (!qkNorm) {
    b.linear({3}, {0, 1, 2});
    return;
  }
  unsigned d = b.replicatedOnly("d", b.operandDim(4, 0));
  b.operand(4, dimsOf({d}));
  b.operand(5, dimsOf({d}));
  b.result(3, dimsOf({d}));
  b.result(4, dimsOf({d}));
  b.linear({3}, {0, 1, 2, 3, 4});
}

static void buildRouter(B &b, bool hasBias) {
  // x [B, S, H], w [H, E], [bias [E]] -> scores, indices [B, S, K],
  // probs [B, S, E]. Softmax/top-k need all of H and E.
  unsigned rank = b.operandRank(0);
  SmallVector<unsigned, 4> lead = b.leading(0, rank - 1);
  unsigned h = b.replicatedOnly("h", b.operandDim(1, 0));
  unsigned e = b.replicatedOnly("e", b.operandDim(1, 1));
  unsigned k = b.factor("k", b.resultDim(0, rank - 1));
  b.operand(0, append(lead, {h}));
  b.operand(1, dimsOf({h, e}));
  if (hasBias)
    b.operand(2, dimsOf({e}));
  b.result(0, append(lead, {k}));
  b.result(1, append(lead, {k}));
  b.result(2, append(lead, {e}));
}

static void buildDispatch(B &b) {
  // x [B, S, H], indices [B, S, K] -> sorted [B*S*K, H], group_sizes [E].
  // Sorted rows follow the token factors (compound dim, tokens major): under
  // S(0) a rank holds the copies of its own tokens, grouped by expert.
  unsigned rank = b.operandRank(0);
  SmallVector<unsigned, 4> lead = b.leading(0, rank - 1);
  unsigned h = b.factor("h", b.operandDim(0, rank - 1));
  unsigned k = b.factor("k", b.operandDim(1, rank - 1));
  unsigned e = b.factor("e", b.resultDim(1, 0));
  b.operand(0, append(lead, {h}));
  b.operand(1, append(lead, {k}));
  b.result(0, {compound(lead, k), {h}});
  b.result(1, dimsOf({e}));
  // Group sizes count the rows: a sum over the tokens, independent of H.
  b.independentOf(1, h);
  b.linear({0}, {0});
  // Scores before the experts: rows = scores * x, bilinear.
  if (b.numOperands() > 2) {
    b.operand(2, append(lead, {k}));
    b.linear({2}, {0});
  }
}

static void buildDispatchGrad(B &b) {
  // indices [B, S, K], dsorted [B*S*K, H] -> dx [B, S, H].
  unsigned rank = b.operandRank(0);
  SmallVector<unsigned, 4> lead = b.leading(0, rank - 1);
  unsigned k = b.factor("k", b.operandDim(0, rank - 1));
  unsigned h = b.factor("h", b.operandDim(1, 1));
  b.operand(0, append(lead, {k}));
  b.operand(1, {compound(lead, k), {h}});
  b.result(0, append(lead, {h}));
  b.linear({1}, {0});
  // With (scores, x): dx = sum_k scores * dsorted (bilinear in dsorted and
  // scores), dscores = <dsorted, x> (bilinear in dsorted and x, a sum over h).
  if (b.numOperands() > 2) {
    b.operand(2, append(lead, {k}));
    b.operand(3, append(lead, {h}));
    b.result(1, append(lead, {k}));
    b.linear({1}, {1});
    b.linear({2}, {0});
    b.linear({3}, {1});
  }
}

/// Factors shared by experts and experts_grad: rows r, hidden h, expert e,
/// FFN width f.
struct ExpertFactors {
  unsigned r, h, e, f;
};

static ExpertFactors buildExpertOperands(B &b) {
  // sorted [N, H] and group_sizes [E] are dense-view tokens; the weights
  // [E, H, F], [E, H, F], [E, F, H] are on the expert view. The op is the
  // view boundary (the folded dispatch exchanges rows over ep).
  ExpertFactors x;
  x.r = b.factor("r", b.operandDim(0, 0));
  x.h = b.replicatedOnly("h", b.operandDim(0, 1));
  x.e = b.parallel("e", b.operandDim(2, 0));
  x.f = b.factor("f", b.operandDim(2, 2));
  b.operand(0, dimsOf({x.r, x.h}), TensorView::Dense);
  b.operand(1, dimsOf({x.e}), TensorView::Dense);
  b.partialOver(1, x.r);
  b.operand(2, dimsOf({x.e, x.h, x.f}), TensorView::Expert);
  b.operand(3, dimsOf({x.e, x.h, x.f}), TensorView::Expert);
  b.operand(4, dimsOf({x.e, x.f, x.h}), TensorView::Expert);
  return x;
}

static void buildExperts(B &b) {
  ExpertFactors x = buildExpertOperands(b);
  b.result(0, dimsOf({x.r, x.h}), TensorView::Dense);
  // Each row meets its own expert (the folded dispatch routes it there): a
  // selection, not a sum over the experts.
  b.independentOf(0, x.e);
}

static void buildExpertsGrad(B &b) {
  ExpertFactors x = buildExpertOperands(b);
  b.operand(5, dimsOf({x.r, x.h}), TensorView::Dense);
  b.result(0, dimsOf({x.r, x.h}), TensorView::Dense);
  b.result(1, dimsOf({x.e, x.h, x.f}), TensorView::Expert);
  b.result(2, dimsOf({x.e, x.h, x.f}), TensorView::Expert);
  b.result(3, dimsOf({x.e, x.f, x.h}), TensorView::Expert);
  b.independentOf(0, x.e);
  // Weight gradients sum over token rows that live on the dense view.
  b.crossViewPartial(1);
  b.crossViewPartial(2);
  b.crossViewPartial(3);
}

static void buildCombine(B &b) {
  // expert_out [B*S*K, H], indices, scores [B, S, K] -> [B, S, H].
  unsigned rank = b.operandRank(1);
  SmallVector<unsigned, 4> lead = b.leading(1, rank - 1);
  unsigned k = b.factor("k", b.operandDim(1, rank - 1));
  unsigned h = b.factor("h", b.operandDim(0, 1));
  b.operand(0, {compound(lead, k), {h}});
  b.operand(1, append(lead, {k}));
  b.result(0, append(lead, {h}));
  b.linear({0}, {0});
  if (b.numOperands() > 2) { // weighted (scores after the experts)
    b.operand(2, append(lead, {k}));
    b.linear({2}, {0});
  }
}

static void buildCombineGrad(B &b) {
  // expert_out, indices, scores, dout -> dexpert_out, dscores.
  unsigned rank = b.operandRank(1);
  SmallVector<unsigned, 4> lead = b.leading(1, rank - 1);
  unsigned k = b.factor("k", b.operandDim(1, rank - 1));
  unsigned h = b.factor("h", b.operandDim(0, 1));
  b.operand(0, {compound(lead, k), {h}});
  b.operand(1, append(lead, {k}));
  b.result(0, {compound(lead, k), {h}});
  if (b.numOperands() == 3) {
    // Unweighted: dexpert_out = dout at every copy's row, linear in dout.
    b.operand(2, append(lead, {h}));
    b.linear({2}, {0});
    return;
  }
  b.operand(2, append(lead, {k}));
  b.operand(3, append(lead, {h}));
  b.result(1, append(lead, {k}));
  b.linear({3}, {0, 1});
  b.linear({0}, {1});
  b.linear({2}, {0});
}

/// Shared-expert factors: leading token dims, input hidden hi (contracted
/// then through silu: replicated-only), FFN width f, output hidden ho.
struct SharedFactors {
  SmallVector<unsigned, 4> lead;
  unsigned hi, f, ho, one = 0;
};

static SharedFactors buildSharedOperands(B &b, bool hasGate) {
  unsigned rank = b.operandRank(0);
  SharedFactors x;
  x.lead = b.leading(0, rank - 1);
  x.hi = b.replicatedOnly("hi", b.operandDim(0, rank - 1));
  x.f = b.factor("f", b.operandDim(1, 1));
  x.ho = b.factor("ho", b.operandDim(3, 1));
  b.operand(0, append(x.lead, {x.hi}));
  b.operand(1, dimsOf({x.hi, x.f}));
  b.operand(2, dimsOf({x.hi, x.f}));
  b.operand(3, dimsOf({x.f, x.ho}));
  if (hasGate) {
    x.one = b.replicatedOnly("g", b.operandDim(4, 1));
    b.operand(4, dimsOf({x.hi, x.one}));
  }
  return x;
}

static void buildSharedExpert(B &b, bool hasGate) {
  SharedFactors x = buildSharedOperands(b, hasGate);
  b.result(0, append(x.lead, {x.ho}));
  b.linear({3}, {0});
}

static void buildSharedExpertGrad(B &b, bool hasGate) {
  SharedFactors x = buildSharedOperands(b, hasGate);
  unsigned dout = hasGate ? 5 : 4;
  b.operand(dout, append(x.lead, {x.ho}));
  b.result(0, append(x.lead, {x.hi}));
  b.result(1, dimsOf({x.hi, x.f}));
  b.result(2, dimsOf({x.hi, x.f}));
  b.result(3, dimsOf({x.f, x.ho}));
  SmallVector<unsigned, 5> all = {0, 1, 2, 3};
  if (hasGate) {
    b.result(4, dimsOf({x.hi, x.one}));
    all.push_back(4);
  }
  b.linear({dout}, all);
}

static void buildAuxLoss(B &b, bool isGrad) {
  // probs [B, S, E], indices [B, S, K] (-> scalar | dloss -> dprobs). The
  // statistics f_e and P_e are global means over all tokens: v1 keeps every
  // dim replicated.
  unsigned rank = b.operandRank(0);
  SmallVector<unsigned, 4> lead = b.leading(0, rank - 1, /*replicated=*/true);
  unsigned e = b.replicatedOnly("e", b.operandDim(0, rank - 1));
  unsigned k = b.replicatedOnly("k", b.operandDim(1, rank - 1));
  b.operand(0, append(lead, {e}));
  b.operand(1, append(lead, {k}));
  if (isGrad) {
    b.operand(2, {});
    b.result(0, append(lead, {e}));
    b.linear({2}, {0});
  } else {
    b.result(0, {});
  }
}

static void buildCrossEntropy(B &b, bool isGrad) {
  // logits [B, S, V], targets [B, S] (-> scalar | dloss -> dlogits). The
  // loss is a sum over tokens (normalised by the global count): tokens are a
  // reduction. The vocabulary may be split (a vocab-parallel LM head):
  // moe-partition then reduces three per-token statistics over the
  // vocabulary axes (max, sum of exponentials, target logit), so every rank
  // of them holds the whole loss -- it does not depend on the split, which
  // is not a pending sum -- and its own columns of the gradient.
  unsigned rank = b.operandRank(0);
  SmallVector<unsigned, 4> lead = b.leading(0, rank - 1);
  unsigned v = b.factor("v", b.operandDim(0, rank - 1));
  b.operand(0, append(lead, {v}));
  b.operand(1, dimsOf(lead));
  if (isGrad) {
    b.operand(2, {});
    b.result(0, append(lead, {v}));
    b.linear({2}, {0});
  } else {
    b.result(0, {});
    b.independentOf(0, v);
  }
}

static void buildEmbeddingGrad(B &b) {
  // tokens [B, S], dout [B, S, H] -> dtable [V, H].
  SmallVector<unsigned, 4> tokens = b.leading(0, b.operandRank(0));
  unsigned h = b.factor("h", b.operandDim(1, b.operandRank(1) - 1));
  unsigned v = b.factor("v", b.resultDim(0, 0));
  b.operand(0, dimsOf(tokens));
  b.operand(1, append(tokens, {h}));
  b.result(0, dimsOf({v, h}));
  b.linear({1}, {0});
}

static void buildRMSNormGrad(B &b) {
  // x [..., H], w [H], dout [..., H] -> dx [..., H], dw [H].
  unsigned rank = b.operandRank(0);
  SmallVector<unsigned, 4> lead = b.leading(0, rank - 1);
  unsigned h = b.replicatedOnly("h", b.operandDim(0, rank - 1));
  b.operand(0, append(lead, {h}));
  b.operand(1, dimsOf({h}));
  b.operand(2, append(lead, {h}));
  b.result(0, append(lead, {h}));
  b.result(1, dimsOf({h}));
  b.linear({2}, {0, 1});
}

static void buildLinearGrad(B &b) {
  // x [..., K], w [K, N], dout [..., N] -> dx [..., K], dw [K, N]. The token
  // dims are a reduction for dw; N is a reduction for dx.
  unsigned rank = b.operandRank(0);
  SmallVector<unsigned, 4> lead = b.leading(0, rank - 1);
  unsigned k = b.factor("k", b.operandDim(1, 0));
  unsigned n = b.factor("n", b.operandDim(1, 1));
  b.operand(0, append(lead, {k}));
  b.operand(1, dimsOf({k, n}));
  b.operand(2, append(lead, {n}));
  b.result(0, append(lead, {k}));
  b.result(1, dimsOf({k, n}));
  b.linear({2}, {0, 1});
  b.linear({0}, {1});
  b.linear({1}, {0});
}

static void buildRouterGrad(B &b) {
  // x [B, S, H], w [H, E], probs [B, S, E], indices, dscores [B, S, K],
  // dprobs [B, S, E] -> dx [B, S, H], dw [H, E].
  unsigned rank = b.operandRank(0);
  SmallVector<unsigned, 4> lead = b.leading(0, rank - 1);
  unsigned h = b.replicatedOnly("h", b.operandDim(1, 0));
  unsigned e = b.replicatedOnly("e", b.operandDim(1, 1));
  unsigned k = b.replicatedOnly("k", b.operandDim(3, rank - 1));
  b.operand(0, append(lead, {h}));
  b.operand(1, dimsOf({h, e}));
  b.operand(2, append(lead, {e}));
  b.operand(3, append(lead, {k}));
  b.operand(4, append(lead, {k}));
  b.operand(5, append(lead, {e}));
  b.result(0, append(lead, {h}));
  b.result(1, dimsOf({h, e}));
  b.linear({4, 5}, {0, 1});
}

static void buildGlobalNorm(B &b, unsigned numOperands) {
  // Every element of every operand is summed (as a square): each operand
  // has its own reduction factors on its own view.
  for (unsigned i = 0; i < numOperands; ++i)
    b.operand(i, b.freshDims(i, /*replicated=*/false, "g"), TensorView::Own);
  b.result(0, {}, TensorView::Dense);
  b.crossViewPartial(0);
}

/// sgd_step / adamw_step: the first `numShared` operands and every result
/// share their dims; the scalars after them are on their own views.
static void buildOptimizerStep(B &b, unsigned numShared, unsigned numOperands,
                               unsigned numResults) {
  Dims dims = b.freshDims(0);
  for (unsigned i = 0; i < numShared; ++i)
    b.operand(i, dims);
  for (unsigned i = numShared; i < numOperands; ++i)
    b.operand(i, {}, TensorView::Own);
  for (unsigned i = 0; i < numResults; ++i)
    b.result(i, dims);
}

/// Fresh parallel factors for every dim of result 0 (fill, reads).
static Dims freshResultDims(B &b, Operation *op) {
  Dims dims;
  for (auto [dim, size] : llvm::enumerate(
           cast<RankedTensorType>(op->getResultTypes()[0]).getShape()))
    dims.push_back({b.factor("d" + std::to_string(dim), size)});
  return dims;
}

FailureOr<ShardingRule> moefold::moe::getShardingRule(Operation *op) {
  B b(op);
  bool known =
      llvm::TypeSwitch<Operation *, bool>(op)
          .Case([&](EmbeddingOp) { return buildEmbedding(b), true; })
          .Case([&](RMSNormOp) { return buildRMSNorm(b), true; })
          .Case([&](LinearOp) { return buildLinear(b), true; })
          .Case([&](AttentionOp attention) {
            buildAttention(b, attention.getNumHeads(),
                           attention.getNumKvHeads(),
                           !attention.getQkNorm().empty());
            return true;
          })
          .Case([&](SwiGLUOp) {
            buildElementwise(b, 2, 1);
            b.linear({1}, {0}); // silu(gate) * up is linear in up
            return true;
          })
          .Case([&](AddOp) {
            buildElementwise(b, 2, 1);
            b.linear({0, 1}, {0});
            return true;
          })
          .Case([&](RouterOp router) {
            buildRouter(b, static_cast<bool>(router.getBias()));
            return true;
          })
          .Case([&](DispatchOp) { return buildDispatch(b), true; })
          .Case([&](ExpertsOp) { return buildExperts(b), true; })
          .Case([&](CombineOp) { return buildCombine(b), true; })
          .Case([&](SharedExpertOp shared) {
            buildSharedExpert(b, static_cast<bool>(shared.getGate()));
            return true;
          })
          .Case([&](AuxLossOp) { return buildAuxLoss(b, false), true; })
          .Case(
              [&](CrossEntropyOp) { return buildCrossEntropy(b, false), true; })
          .Case([&](EmbeddingGradOp) { return buildEmbeddingGrad(b), true; })
          .Case([&](RMSNormGradOp) { return buildRMSNormGrad(b), true; })
          .Case([&](LinearGradOp) { return buildLinearGrad(b), true; })
          .Case([&](AttentionGradOp attention) {
            buildAttentionGrad(b, attention.getNumHeads(),
                               attention.getNumKvHeads(),
                               !attention.getQkNorm().empty());
            return true;
          })
          .Case([&](SwiGLUGradOp) {
            buildElementwise(b, 3, 2);
            b.linear({2}, {0, 1});
            return true;
          })
          .Case([&](RouterGradOp) { return buildRouterGrad(b), true; })
          .Case([&](DispatchGradOp) { return buildDispatchGrad(b), true; })
          .Case([&](ExpertsGradOp) { return buildExpertsGrad(b), true; })
          .Case([&](CombineGradOp) { return buildCombineGrad(b), true; })
          .Case([&](SharedExpertGradOp shared) {
            buildSharedExpertGrad(b, static_cast<bool>(shared.getGate()));
            return true;
          })
          .Case([&](AuxLossGradOp) { return buildAuxLoss(b, true), true; })
          .Case([&](CrossEntropyGradOp) {
            return buildCrossEntropy(b, true), true;
          })
          .Case([&](FillOp) {
            b.result(0, freshResultDims(b, op));
            return true;
          })
          .Case<GetParamOp, GetStateOp>([&](Operation *) {
            b.result(0, freshResultDims(b, op));
            return true;
          })
          .Case<SetParamOp, SetStateOp>([&](Operation *) {
            // Placed by the declaration: the dims are parallel, not summed.
            Dims dims;
            for (unsigned dim = 0; dim < b.operandRank(0); ++dim)
              dims.push_back({b.parallel("d" + std::to_string(dim),
                                         b.operandDim(0, dim))});
            b.operand(0, dims);
            return true;
          })
          .Case([&](GlobalNormOp norm) {
            buildGlobalNorm(b, norm->getNumOperands());
            return true;
          })
          .Case([&](ClipScaleOp) {
            b.operand(0, {}, TensorView::Own);
            b.result(0, {});
            b.result(1, {});
            return true;
          })
          .Case([&](SGDStepOp) { return buildOptimizerStep(b, 2, 5, 1), true; })
          .Case(
              [&](AdamWStepOp) { return buildOptimizerStep(b, 4, 8, 3), true; })
          .Case([&](func::ReturnOp ret) {
            // A step function returns global values, identical on every
            // rank (the driver prints the loss and the norm): R everywhere.
            for (auto [index, value] : llvm::enumerate(ret.getOperands()))
              if (isa<RankedTensorType>(value.getType()) &&
                  cast<RankedTensorType>(value.getType()).hasStaticShape())
                b.operand(index, b.freshDims(index, /*replicated=*/true, "r"),
                          TensorView::Own);
            return true;
          })
          .Default([](Operation *) { return false; });
  if (!known)
    return failure();
  return b.finish();
}
