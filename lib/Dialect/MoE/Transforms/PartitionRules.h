//===- PartitionRules.h - factor rules used by moe-partition ----*- C++ -*-===//
//
// Private to lib/Dialect/MoE/Transforms. For every op moe-partition
// rewrites, a factor-based sharding rule (docs/design/partitioning.md §2, in
// the spirit of Shardy's OpShardingRule): each dimension of each operand and
// result is mapped to one or more *factors*. A factor present in a result
// is parallel for that result; a factor missing from a result is summed
// into it (sharding it leaves the result P(sum) on that axis). Factors the
// local kernel cannot split are replicated-only.
//
// TODO: once moe-propagate-placements publishes its sharding-rule API
// (include/moefold/Dialect/MoE/Analysis), build these rules from it so op
// semantics live in one place.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_LIB_DIALECT_MOE_TRANSFORMS_PARTITIONRULES_H
#define MOEFOLD_LIB_DIALECT_MOE_TRANSFORMS_PARTITIONRULES_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace moefold::moe::partition {

struct Factor {
  std::string name;
  /// The local kernel needs the whole extent of this factor: an axis never
  /// shards it (operands are gathered, results are computed replicated).
  bool replicatedOnly = false;
};

/// The factors of one dimension: usually one; a compound dimension (the
/// rows of `moe.dispatch`'s output, tokens x top-k) lists several, and is
/// sharded on an axis when any of them is.
using DimFactors = llvm::SmallVector<unsigned, 2>;

struct TensorRule {
  llvm::SmallVector<DimFactors, 4> dims;
  /// Factors this tensor is a per-rank *sum* over although no dimension
  /// carries them (the group sizes `moe.experts` reads are the counts of the
  /// rank's own rows): when such a factor is sharded on an axis the tensor
  /// must be P there, with exactly the local decomposition its producer
  /// made; it is never converted.
  llvm::SmallVector<unsigned, 1> summedOver;

  bool hasFactor(unsigned factor) const;
};

/// How the op is linear in some of its operands, which decides whether a
/// pending sum (P) may flow through it instead of being reduced first.
enum class LinearKind {
  /// Never P in, never P out.
  None,
  /// Linear in each listed operand separately (a matmul, a gather of a
  /// table, the output gradient of a VJP): exactly one may be P, the
  /// others must then be R on that axis.
  Single,
  /// Linear in the listed operands jointly (a sum): all of them P.
  Joint,
};

struct OpRule {
  llvm::SmallVector<Factor, 8> factors;
  llvm::SmallVector<TensorRule, 4> operands;
  llvm::SmallVector<TensorRule, 4> results;
  LinearKind linearKind = LinearKind::None;
  llvm::SmallVector<unsigned, 2> linearOperands;
  /// Index of the head factor (`moe.attention`, `moe.attention_grad`): it
  /// may only be split in whole query and kv heads.
  std::optional<unsigned> headFactor;

  /// True when no result has `factor` in a dimension (a reduction factor).
  bool isReductionFactor(unsigned factor) const;
  bool isLinearOperand(unsigned operand) const;
};

/// The rule of `op`, or std::nullopt when moe-partition does not know the
/// op. Operands and results are those of `op` (an absent optional operand
/// has no entry).
std::optional<OpRule> getPartitionRule(mlir::Operation *op);

} // namespace moefold::moe::partition

#endif // MOEFOLD_LIB_DIALECT_MOE_TRANSFORMS_PARTITIONRULES_H
