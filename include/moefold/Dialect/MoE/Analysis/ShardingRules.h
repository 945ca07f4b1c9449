//===- ShardingRules.h - Factor-based sharding rules of moe ops -*- C++ -*-===//
//
// Every op of a training step has a sharding rule (docs/propagation.md,
// docs/design/partitioning.md §2): each dimension of each operand and result
// maps to one or more *factors* (a compound dimension lists several, major
// first), and each factor has a kind and a size:
//
//   parallel         the factor appears in some result; sharding it on an
//                    axis keeps the results that carry it sharded there.
//                    A result that does *not* carry a sharded parallel
//                    factor is a sum over it, so it becomes P(sum) on that
//                    axis (the batch of `linear_grad`'s `dw`).
//   reduction        the factor appears in no result (the contracted `k` of
//                    `linear`, every element of `global_norm`): sharding it
//                    makes every result P(sum) on that axis.
//   replicated-only  the op cannot run with the dimension split (the `H` of
//                    `rms_norm`, the vocabulary of `cross_entropy`, the
//                    sequence dims of `attention`): operands must be R there.
//
// Besides the factors a rule says which operands the results are linear in
// (so P(sum) operands may flow through), which mesh view each tensor lives
// in (dense activations vs expert weights), and whole-unit constraints
// (attention may only split whole heads). The rules are shape-aware: they
// are built from one op and carry its static dimension sizes.
//
// The rules are MLIR-light data; ShardingDecision.h applies them to
// placements. Both `moe-propagate-placements` and `moe-partition` use them,
// so the two passes cannot disagree on what an op can do.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_MOE_ANALYSIS_SHARDINGRULES_H
#define MOEFOLD_DIALECT_MOE_ANALYSIS_SHARDINGRULES_H

#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace moefold::moe {

class ShardingRuleBuilder;

enum class FactorKind { Parallel, Reduction, ReplicatedOnly };

/// `parallel`, `reduction`, `replicated-only`.
llvm::StringRef stringifyFactorKind(FactorKind kind);

/// A factor may only be split into `n` blocks when `n` divides `count`
/// (attention: whole query heads and whole key/value heads).
struct WholeUnitConstraint {
  /// What the units are, for diagnostics: `q heads`, `k/v heads`.
  std::string what;
  /// The attribute that counts them: `num_heads`, `num_kv_heads`.
  std::string countName;
  int64_t count = 1;
};

/// One factor of a rule.
struct ShardingFactor {
  /// A short name for printing and diagnostics (`b`, `s`, `k`, `heads`).
  std::string name;
  FactorKind kind = FactorKind::Parallel;
  /// The extent of the factor in the first tensor dimension that carries
  /// it (a compound dimension multiplies the sizes of its factors; the
  /// attention head factor spans Nq*D in q but Nkv*D in k and v).
  int64_t size = 1;
  llvm::SmallVector<WholeUnitConstraint, 2> wholeUnits;
};

/// Which mesh view a tensor of a rule is placed on.
enum class TensorView {
  /// The op's view: that of its first non-replicated `Inherit` operand (an
  /// optimizer step on an expert weight computes on the expert view), else
  /// of its first `Inherit` operand, else `dense`.
  Inherit,
  /// Always the dense view (tokens and activations of the expert ops).
  Dense,
  /// Always the expert view (routed-expert weights and their gradients).
  Expert,
  /// Whatever view the operand already has; its factors are its own
  /// (`global_norm`, `func.return` operands).
  Own,
};

/// The factors of one operand or result.
struct TensorFactors {
  /// False for a value that is not a ranked tensor (it gets no placement).
  bool isTensor = true;
  TensorView view = TensorView::Inherit;
  /// The static shape.
  llvm::SmallVector<int64_t, 4> shape;
  /// Per dimension, its factor ids, major first (one for most dims; a
  /// compound dim such as `dispatch`'s sorted rows = tokens * k lists
  /// several).
  llvm::SmallVector<llvm::SmallVector<unsigned, 2>, 4> dims;
  /// Set for an operand whose *local* value is a partial sum over the axes
  /// that shard this factor: `experts`' group sizes count the rows of the
  /// rank's own tokens, so they must be P(sum) exactly where the rows are
  /// sharded (never all-reduced).
  std::optional<unsigned> partialOver;
  /// For a result: factors it does not depend on although it does not carry
  /// them. Sharding one leaves the result R instead of P(sum) (`dispatch`'s
  /// group sizes do not depend on the hidden dim).
  llvm::SmallVector<unsigned, 2> independentOf;

  /// Whether `factor` appears in some dim; `dim` receives the first one.
  bool hasFactor(unsigned factor, int64_t *dim = nullptr) const;
};

/// The results listed are jointly linear in the operands listed (all other
/// operands fixed); every result not listed does not depend on them. P(sum)
/// operands flow through: when every operand of a group is P(sum) on an axis
/// (and no factor is sharded there), the listed results are P(sum) too.
struct LinearGroup {
  llvm::SmallVector<unsigned, 2> operands;
  llvm::SmallVector<unsigned, 4> results;
};

/// The sharding rule of one op.
class ShardingRule {
public:
  llvm::ArrayRef<ShardingFactor> getFactors() const { return factors; }
  const ShardingFactor &getFactor(unsigned id) const { return factors[id]; }
  unsigned getNumFactors() const { return factors.size(); }

  unsigned getNumOperands() const { return operands.size(); }
  unsigned getNumResults() const { return results.size(); }
  const TensorFactors &getOperand(unsigned i) const { return operands[i]; }
  const TensorFactors &getResult(unsigned i) const { return results[i]; }
  llvm::ArrayRef<TensorFactors> getOperands() const { return operands; }
  llvm::ArrayRef<TensorFactors> getResults() const { return results; }
  llvm::ArrayRef<LinearGroup> getLinearGroups() const { return linearGroups; }

  /// Whether result `i` becomes P(sum) on every free axis of its own view
  /// when a factor it does not carry is sharded on an axis of the *other*
  /// view: `experts_grad`'s weight gradients (token rows on the dense view,
  /// weights on the expert view: each expert shard's gradient is a partial
  /// sum over its `edp` group) and `global_norm` of expert-view gradients.
  bool isCrossViewPartial(unsigned result) const {
    return crossViewPartial[result];
  }

  /// Whether a sharded `factor` makes result `i` P(sum): some operand
  /// carries the factor, it is not replicated-only, and result `i` does not
  /// carry it but depends on it.
  bool reducesInto(unsigned factor, unsigned result) const;
  /// Whether two factors may be sharded on the same axis: neither appears in
  /// a result and no operand carries both (`global_norm`'s operands).
  bool areCompatible(unsigned a, unsigned b) const;

  /// Prints the rule in a Shardy-like form, one line: tensors (compound
  /// dims as `b*s*k`, explicit views as `@dense`/`@expert`, the factors a
  /// result sums over as `sum(...)`), factors with sizes and kinds, linear
  /// groups:
  /// `([b, s, k], [k, n]) -> ([b, s, n] sum(k)) {b=2 parallel, s=16
  /// parallel, k=64 reduction, n=64 parallel} linear{0}->{0} linear{1}->{0}`.
  void print(llvm::raw_ostream &os) const;

private:
  friend class ShardingRuleBuilder;

  llvm::SmallVector<ShardingFactor, 8> factors;
  llvm::SmallVector<TensorFactors, 4> operands;
  llvm::SmallVector<TensorFactors, 4> results;
  llvm::SmallVector<LinearGroup, 2> linearGroups;
  llvm::SmallVector<bool, 4> crossViewPartial;
};

llvm::raw_ostream &operator<<(llvm::raw_ostream &os, const ShardingRule &rule);

/// The rule of `op`, or failure when the op has none (no diagnostic: the
/// caller reports "'foo.bar' has no sharding rule"). Covers every op of a
/// training step: the moe forward ops, every `moe.*_grad` op, `moe.fill`,
/// `moe.get_param`/`set_param`/`get_state`/`set_state`, `moe.global_norm`,
/// `moe.clip_scale`, `moe.sgd_step`, `moe.adamw_step`, `moe.add` and
/// `func.return`. `moe.get_param`/`get_state` results and
/// `moe.set_param`/`set_state` values are placed by their declaration, not
/// by the factors (see ShardingDecision.h).
mlir::FailureOr<ShardingRule> getShardingRule(mlir::Operation *op);

} // namespace moefold::moe

#endif // MOEFOLD_DIALECT_MOE_ANALYSIS_SHARDINGRULES_H
