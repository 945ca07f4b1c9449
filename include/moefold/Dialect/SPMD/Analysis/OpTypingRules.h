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
  /// A summand: the result is linear in the operands jointly, so P is allowed
  /// only when every summand is P (P + P -> P; P + R counts R once per rank).
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
};

/// How a compute op propagates local types from its operands to its results.
struct OpTypingRule {
  /// A short name of the class, used in diagnostics ("bilinear", ...).
  llvm::StringRef className;
  /// The role of each operand, by operand index. Operands past the end take
  /// `trailingRole` (variadic operands such as an optional bias).
  llvm::SmallVector<OperandRole, 4> roles;
  OperandRole trailingRole = OperandRole::NonLinear;
  /// For each result, the operands it depends on; empty means every result
  /// depends on every operand.
  llvm::SmallVector<llvm::SmallVector<unsigned, 2>, 2> resultOperands;

  OperandRole getRole(unsigned operandIndex) const {
    return operandIndex < roles.size() ? roles[operandIndex] : trailingRole;
  }
};

/// The rule for `op`, or std::nullopt for an op the checker does not know
/// (which then gets the conservative rule: every operand the same type, and
/// never P).
std::optional<OpTypingRule> lookupOpTypingRule(mlir::Operation *op);

} // namespace moefold::spmd

#endif // MOEFOLD_DIALECT_SPMD_ANALYSIS_OPTYPINGRULES_H
