//===- OpTypingRules.h - how compute ops propagate local types --*- C++ -*-===//
//
// The local SPMD type checker needs to know, for every compute op of a
// per-rank program, how each operand takes part in the result: as a summand,
// as one factor of a (multi)linear product, as non-differentiable index data,
// or through a non-linear function. The answer decides what a partial (P)
// operand may do (docs/spmd-types.md, "Op classification").
//
// The table is keyed by op name so the spmd dialect does not depend on the
// dialects whose ops it classifies (moe, arith, tensor).
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_SPMD_ANALYSIS_OPTYPINGRULES_H
#define MOEFOLD_DIALECT_SPMD_ANALYSIS_OPTYPINGRULES_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace moefold::spmd {

/// How one operand of a compute op contributes to its results.
enum class OperandRole {
  /// A summand: the result is linear in the Sum operands jointly, so P is
  /// allowed only when every summand is P (P + P -> P; P + R counts R once
  /// per rank). All Sum operands of an op together form one factor of the
  /// product with its Factor operands (a gradient op linear in the sum of
  /// two incoming gradients, e.g. moe.router_grad's dscores and dprobs).
  Sum,
  /// One factor of a multilinear product (matmul, elementwise product, a
  /// permutation or gather of this operand): P is allowed in at most one
  /// factor, the others must be R (or constants).
  Factor,
  /// Non-differentiable data that selects or counts (token ids, expert
  /// indices, group sizes, offsets): never P.
  Index,
  /// Enters the result through a non-linear function: never P.
  NonLinear,
  /// Non-linear, and laid out element for element like every other Uniform
  /// operand of the op: all of them must have one type per axis (an
  /// optimizer update's parameter, gradient and moments; the gradients of a
  /// norm, which must count every element once). Never P.
  Uniform,
  /// A per-step scalar every rank must agree on (learning rate, clip scale,
  /// step count, apply flag): R, I or a constant, never V or P. It does not
  /// decide the result's type.
  Scalar,
};

/// How a compute op propagates local types from its operands to its results.
struct OpTypingRule {
  /// A short name of the class ("bilinear", "multilinear", ...).
  llvm::StringRef className;
  /// The role of each operand, by operand index. Operands past the end take
  /// `trailingRole` (variadic operands such as an optional bias).
  llvm::SmallVector<OperandRole, 4> roles;
  OperandRole trailingRole = OperandRole::NonLinear;
  /// For each result, the operands it depends on; empty means every result
  /// depends on every operand.
  llvm::SmallVector<llvm::SmallVector<unsigned, 6>, 2> resultOperands;
  /// Why Uniform operands must agree, appended to the diagnostic when they
  /// do not.
  llvm::StringRef uniformReason = {};
  /// Per result (by result number; missing or empty: none), the operands
  /// it contracts over a dimension that a mesh axis may split: the `K` of a
  /// matmul (`x` and `weight` of moe.linear), the tokens of a weight
  /// gradient (`x` and `dout` of moe.linear_grad's `dweight`). Where an
  /// operand in `lhs` and one in `rhs` are both V (split, not pending) on an
  /// axis, the result is this rank's share of a sum over the axis: typed V,
  /// as the op computes it, but a pending sum (docs/spmd-types.md,
  /// "Pending V").
  ///
  /// Where one of `unlessSplit` is V on the axis, the summed dimension is
  /// not split there and the result is not pending: an expert weight's
  /// gradient over the rows of this rank's experts (the expert dimension
  /// split over `ep`) is complete, only summed over the replicas.
  ///
  /// An `ambiguous` contraction is not inferred (the operands may be split
  /// along a dimension that is not contracted), but its result is not known
  /// to be a shard either; except on an axis named `resolvedOn`, which can
  /// only split the contracted dimension (`etp` splits an expert's F, where
  /// `ep` splits the experts).
  struct Contraction {
    llvm::SmallVector<unsigned, 2> lhs, rhs, unlessSplit;
    bool ambiguous = false;
    llvm::StringRef resolvedOn = {};
  };
  llvm::SmallVector<Contraction, 2> contractions;
  /// The result sums over every element of its operands (a norm): a V
  /// result is this rank's own value, not known to be a shard (its square
  /// is a partial sum of the global one).
  bool opaque = false;
  /// An optimizer update (operand #0 the parameter, #1 its gradient):
  /// diagnostics name the gradient reduction that is missing.
  bool isUpdate = false;

  OperandRole getRole(unsigned operandIndex) const {
    return operandIndex < roles.size() ? roles[operandIndex] : trailingRole;
  }
  /// The contraction of result `resultNumber`, or null.
  const Contraction *getContraction(unsigned resultNumber) const {
    if (resultNumber >= contractions.size() ||
        contractions[resultNumber].lhs.empty())
      return nullptr;
    return &contractions[resultNumber];
  }
};

/// The rule for `op`, or std::nullopt for an op the checker does not know
/// (which then gets the conservative rule: every operand the same type, and
/// never P).
std::optional<OpTypingRule> lookupOpTypingRule(mlir::Operation *op);

/// A read or write of declared storage (`moe.get_param`, `moe.get_state`,
/// `moe.set_param`, `moe.set_state`): the symbol it names and the value
/// written. Its type is the declaration's local type (docs/spmd-types.md,
/// "Declared storage").
struct StorageAccess {
  /// The declaration, named by the op's `name` attribute.
  mlir::FlatSymbolRefAttr symbol;
  /// The value written, or null for a read.
  mlir::Value written;
  /// A trainable parameter (its reads have a gradient, so they must carry
  /// their type), rather than a state.
  bool isParam = false;
};

/// The storage access `op` performs, or std::nullopt.
std::optional<StorageAccess> lookupStorageAccess(mlir::Operation *op);

/// The global placement a storage declaration (`moe.param`, `moe.state`)
/// carries: `global_placement` (a partitioned state), else `placement`;
/// null when it has neither (replicated).
mlir::Attribute getDeclaredPlacement(mlir::Operation *declaration);

} // namespace moefold::spmd

#endif // MOEFOLD_DIALECT_SPMD_ANALYSIS_OPTYPINGRULES_H
