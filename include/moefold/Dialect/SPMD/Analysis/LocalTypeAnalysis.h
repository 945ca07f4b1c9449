//===- LocalTypeAnalysis.h - local SPMD types of a per-rank program -*- C++
//-*-===//
//
// Infers, for every SSA value of a per-rank function, its local SPMD type
// (R / I / V / P) on every mesh axis it is typed on, and checks the program
// against the typing rules of DESIGN.md section 4 (docs/spmd-types.md):
//
//   op(R..) -> R   op(I..) -> I   op(V, R..) -> V
//   linear(P) -> P, bilinear(P, R) -> P, P + P -> P
//   I mixes with nothing else without an explicit spmd.convert/reinterpret
//   P never enters a non-linear op, never meets V, never meets R in a sum
//   a collective's operand has the collective's `src` type on its axes
//   a `{moe.loss}` result is P or I on every axis
//   a write of a parameter or state receives the declaration's type
//
// Types come from `spmd.local` on function arguments (and, as an explicit
// annotation, on any op), from the typed collectives, from constants and
// from the placements of declared storage. A V made by a contraction over
// operands split on an axis is a pending sum there (AxisTypeEntry::pending)
// and follows the rules of P.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_SPMD_ANALYSIS_LOCALTYPEANALYSIS_H
#define MOEFOLD_DIALECT_SPMD_ANALYSIS_LOCALTYPEANALYSIS_H

#include "moefold/Dialect/SPMD/IR/SPMDAttrs.h"

#include "mlir/IR/Location.h"
#include "mlir/IR/Value.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <memory>

namespace moefold::spmd {

/// The attribute names the checker reads and writes.
/// A local type on an argument, an op (all its results) or a function result.
inline constexpr llvm::StringLiteral kLocalTypeAttrName = "spmd.local";
/// The inferred types, written by `spmd-verify-types{print-types}`.
inline constexpr llvm::StringLiteral kInferredTypesAttrName = "spmd.types";
/// The training-loss marker of function results (moe dialect).
inline constexpr llvm::StringLiteral kLossAttrName = "moe.loss";
/// The global placement of a split argument (written by moe-partition).
inline constexpr llvm::StringLiteral kGlobalPlacementArgAttrName =
    "moe.global_placement";

/// One axis a value can be typed on: an axis of a view of a mesh.
struct TypedAxis {
  mlir::StringAttr mesh;
  mlir::StringAttr view;
  mlir::StringAttr axis;

  bool operator==(const TypedAxis &other) const {
    return mesh == other.mesh && view == other.view && axis == other.axis;
  }
};

/// The type of a value on one axis and where that type came from (a function
/// argument, a collective, an annotation, or the op that produced it).
struct AxisTypeEntry {
  TypedAxis axis;
  LocalTypeKind kind;
  mlir::Location origin;
  /// For V only: this rank's share of a sum over the axis that is still
  /// pending (the result of a contraction over operands split on the axis,
  /// such as a row-parallel matmul or a weight gradient over this rank's
  /// tokens). It is spelled V, as the op that made it computes it, and
  /// follows the rules of P: it is reduced by a collective with src V
  /// (`all_reduce V -> R`) or said to be P by
  /// `reinterpret V -> P`, and never enters a non-linear op.
  bool pending = false;
  /// For V only: known to be a slice of data split over the axis (a split
  /// argument, a parameter or state shard, a slice, and what element-wise
  /// and row-wise ops compute from them), never a partial sum, so it may not
  /// be summed over the axis. A V that is neither pending nor a shard (an
  /// argument without `moe.global_placement`, the square of a norm of
  /// shards) may be read as a partial sum by `all_reduce V -> R`.
  bool shard = false;
};

/// The local type of one value.
struct ValueLocalType {
  enum class State {
    /// Typed on the axes in `entries` (possibly none).
    Typed,
    /// Computed from constants only: the same on every rank, no gradient.
    /// It is I everywhere, but since no gradient flows into it, it combines
    /// with R, I and V like a scalar and adopts their type.
    Constant,
    /// A value the program never typed (an argument or parameter read
    /// without `spmd.local`); an error where it is used.
    Unknown,
    /// Produced by an op that failed to type; its uses stay quiet.
    Poisoned,
  };
  State state = State::Typed;
  /// Sorted by mesh, then view (dense, expert), then axis in view order.
  llvm::SmallVector<AxisTypeEntry, 4> entries;

  const AxisTypeEntry *lookup(const TypedAxis &axis) const;
};

/// Local SPMD type inference and checking for one function.
class LocalTypeAnalysis {
public:
  explicit LocalTypeAnalysis(mlir::FunctionOpInterface func);
  ~LocalTypeAnalysis();
  LocalTypeAnalysis(LocalTypeAnalysis &&);

  /// True for the functions the checker runs on: those with at least one
  /// argument carrying `spmd.local`.
  static bool isTypedFunction(mlir::FunctionOpInterface func);

  /// Infers every value's type and checks every rule, emitting one located
  /// diagnostic (with notes at the origins of the types involved) per
  /// violation. Fails when any rule is violated.
  mlir::LogicalResult run();

  /// The inferred type of `value`, or null when `run` did not reach it.
  const ValueLocalType *lookup(mlir::Value value) const;

  /// The explicit types of `value`, one `#spmd.local` per mesh view it is
  /// typed on (empty when untyped, constant or poisoned).
  llvm::SmallVector<LocalTypeAttr> getLocalTypes(mlir::Value value) const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace moefold::spmd

#endif // MOEFOLD_DIALECT_SPMD_ANALYSIS_LOCALTYPEANALYSIS_H
