//===- ShardingDecision.h - Apply sharding rules to placements -*- C++ -*-===//
//
// Given the placements of an op's operands, decide the placements of its
// results and the placement the op needs each operand in (docs/propagation.md):
//
//   1. Factor shardings. For each axis (dense view first, then expert; in
//      view order), operands are scanned in order; an operand sharded S(d)
//      on the axis proposes the major non-replicated-only factor of dim d.
//      The first proposal wins; a later one is also taken when it is
//      compatible with every factor already on the axis (never for factors
//      that share a tensor). Compound dims propose after single-factor dims
//      and only agree with them when they can. Whole-unit and divisibility
//      constraints are checked when a factor gets an axis; a violation is an
//      error, and so is a declared operand losing its sharding (conflict).
//   2. Pending sums. On an axis no factor uses, P operands keep P only when
//      they form one of the rule's linear groups (every member P); the
//      group's results are then P. Every other P operand is needed R (the
//      partitioner all-reduces it).
//   3. Required operands: S(d) where a factor on the axis is in dim d, R
//      where the axis shards a factor the operand does not carry, P where
//      kept by 2 or where the operand is `partialOver` a sharded factor.
//   4. Results: S(d) for a carried sharded factor, P(sum) for a sharded
//      factor the result sums over (ShardingRule::reducesInto), P from 2,
//      else R; cross-view partial results are P(sum) on their free axes when
//      a factor they sum over is sharded on the other view.
//
// Axes of size 1 are always R. Every TensorPlacement lists every axis of its
// view. `moe.get_param`/`moe.get_state` results are their declaration's
// placement; `moe.set_param`/`moe.set_state` need their value in it.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_MOE_ANALYSIS_SHARDINGDECISION_H
#define MOEFOLD_DIALECT_MOE_ANALYSIS_SHARDINGDECISION_H

#include "moefold/Dialect/MoE/Analysis/ShardingRules.h"
#include "moefold/Dialect/MoE/IR/MoEOps.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"
#include "moefold/Placement/MeshLayout.h"
#include "moefold/Placement/Placement.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringMap.h"

#include <memory>

namespace moefold::moe {

/// The name of the discardable attribute propagation writes on every op
/// with results: an array with one #spmd.placement per result.
inline constexpr llvm::StringLiteral kPlacementsAttrName = "spmd.placements";

/// The mesh a module is propagated on and the placements its parameters and
/// states declare. Built once per module; cheap to query.
class PlacementContext {
public:
  /// Builds the context for `mesh` (an `spmd.mesh` in `module`); emits an
  /// error at the mesh when its layout is invalid.
  static mlir::FailureOr<std::unique_ptr<PlacementContext>>
  create(mlir::ModuleOp module, spmd::MeshOp mesh);

  spmd::MeshOp getMesh() const { return mesh; }
  const placement::MeshLayout &getLayout() const { return layout; }
  /// The dense or expert view (asserts on other names).
  const placement::View &getView(llvm::StringRef viewName) const;

  /// R on every axis of `viewName`.
  placement::TensorPlacement getReplicated(llvm::StringRef viewName) const;
  /// `placement` with every axis of size 1 set to R.
  placement::TensorPlacement
  normalize(const placement::TensorPlacement &placement) const;

  /// `attr` in the placement algebra, normalized. Emits through `emitError`
  /// when it names another mesh, an unknown view or axis.
  mlir::FailureOr<placement::TensorPlacement>
  fromAttr(spmd::PlacementAttr attr,
           llvm::function_ref<mlir::InFlightDiagnostic()> emitError) const;
  /// The attribute listing every axis of the placement's view, in order.
  spmd::PlacementAttr toAttr(const placement::TensorPlacement &placement) const;

  /// The placement a `moe.param` declares (R on its family's view when it
  /// has none), normalized. Emits at the param when it uses another mesh.
  mlir::FailureOr<placement::TensorPlacement> getParamPlacement(ParamOp param);
  /// The parameter a state follows: `@<prefix>.<param>` with the type of
  /// `@<param>` (`@grad.w`, `@adam_m.w`, `@adam_v.w` follow `@w`), or null.
  ParamOp getStateParam(StateOp state);
  /// The state's parameter's placement, or R on the dense view.
  mlir::FailureOr<placement::TensorPlacement> getStatePlacement(StateOp state);
  /// The `moe.param` or `moe.state` that `name` refers to from `user`, or
  /// null.
  mlir::Operation *lookupDeclaration(mlir::Operation *user,
                                     mlir::FlatSymbolRefAttr name);
  /// The placement of a `moe.param` or `moe.state` symbol.
  mlir::FailureOr<placement::TensorPlacement>
  getDeclaredPlacement(mlir::Operation *declaration);

  /// The placement propagation wrote for `value`: the `spmd.placement`
  /// attribute of a function argument or the entry of the defining op's
  /// `spmd.placements`. Emits at the value's location when there is none or
  /// it is malformed.
  mlir::FailureOr<placement::TensorPlacement>
  getPropagatedPlacement(mlir::Value value);

private:
  PlacementContext(mlir::ModuleOp module, spmd::MeshOp mesh,
                   placement::MeshLayout layout)
      : module(module), mesh(mesh), layout(std::move(layout)) {}

  mlir::ModuleOp module;
  // Op handles are values; their accessors are not const.
  mutable spmd::MeshOp mesh;
  placement::MeshLayout layout;
  mlir::SymbolTableCollection symbolTable;
};

/// What the decision knows about one operand.
struct OperandPlacement {
  /// Null for a value that is not a ranked tensor.
  const placement::TensorPlacement *placement = nullptr;
  /// True when the placement is fixed by a declaration (a parameter or state
  /// read, an argument annotated by the user): losing its sharding to an
  /// incompatible factor is a conflict, not a reshard.
  bool declared = false;
};

/// The placements one op needs and produces. Entries are std::nullopt for
/// values that are not ranked tensors.
struct OpSharding {
  /// The placement each operand must be in when the op runs; the
  /// partitioner redistributes an operand whose placement differs.
  llvm::SmallVector<std::optional<placement::TensorPlacement>, 4> operands;
  llvm::SmallVector<std::optional<placement::TensorPlacement>, 4> results;
  /// Per factor of the rule: the (view name, axis index) pairs sharding it,
  /// in order (empty for ops placed by declaration).
  llvm::SmallVector<llvm::SmallVector<std::pair<std::string, unsigned>, 2>, 8>
      factorAxes;
};

/// Called to attach a note to a conflict diagnostic, saying where operand
/// `operand`'s placement comes from.
using NoteOperandOrigin =
    llvm::function_ref<void(mlir::InFlightDiagnostic &diag, unsigned operand)>;

/// Decides `op`'s sharding from `rule` and its operands' placements. Errors
/// (emitted at `op`): a constraint that the chosen sharding violates
/// (whole heads, divisibility), a declared operand sharded against the
/// winning factor (a conflict; `noteOrigin` adds notes at both ends), an
/// operand whose view the op cannot take. `moe.get_param`/`get_state` and
/// `moe.set_param`/`set_state` use the declarations in `context`.
mlir::FailureOr<OpSharding>
decideSharding(mlir::Operation *op, const ShardingRule &rule,
               PlacementContext &context,
               llvm::ArrayRef<OperandPlacement> operands,
               NoteOperandOrigin noteOrigin = nullptr);

/// decideSharding for an op of an already propagated function: the operand
/// placements are read from the IR (getPropagatedPlacement) and nothing is
/// treated as declared. This is what moe-partition calls to learn the
/// placement each operand must be redistributed to.
mlir::FailureOr<OpSharding> decideShardingFromIR(mlir::Operation *op,
                                                 PlacementContext &context);

} // namespace moefold::moe

#endif // MOEFOLD_DIALECT_MOE_ANALYSIS_SHARDINGDECISION_H
