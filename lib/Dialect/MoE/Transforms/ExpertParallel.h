//===- ExpertParallel.h - the folded dispatch of moe-partition --*- C++ -*-===//
//
// What moe-partition (Partition.cpp) and its expert-parallel part
// (ExpertParallel.cpp) share: a per-rank version of a global value, and the
// services of the function partitioner the EP code uses.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_LIB_DIALECT_MOE_TRANSFORMS_EXPERTPARALLEL_H
#define MOEFOLD_LIB_DIALECT_MOE_TRANSFORMS_EXPERTPARALLEL_H

#include "moefold/Dialect/MoE/Analysis/ShardingDecision.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"
#include "moefold/Placement/Placement.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

#include <deque>

namespace moefold::moe::partition {

/// Local SPMD types per axis of a placement's view.
using Kinds = llvm::SmallVector<spmd::LocalTypeKind, 4>;

/// A global value's per-rank version in one placement, with its local SPMD
/// types. They are those the placement implies, except that a pending sum
/// an op made itself from split operands (a row-parallel matmul, a loss
/// over this rank's tokens) is V, as the local type rules infer it (a
/// collective reads V as P); a pending sum that came in as P stays P.
struct Placed {
  placement::TensorPlacement placement;
  mlir::Value local;
  Kinds kinds;
};

/// Clones `op` at `builder`'s insertion point with `operands` and result
/// types `types`, minus the global placements: the per-rank version of an
/// op of the global program.
mlir::Operation *cloneWith(mlir::OpBuilder &builder, mlir::Operation *op,
                           mlir::ValueRange operands,
                           llvm::ArrayRef<mlir::Type> types);

/// What the function partitioner offers the expert-parallel code.
class PartitionHost {
public:
  virtual ~PartitionHost() = default;
  /// The version of `global` placed `target` (redistributed if needed).
  virtual mlir::FailureOr<Placed>
  getAs(mlir::Value global, const placement::TensorPlacement &target,
        mlir::Operation *user, bool mayMakePartial) = 0;
  /// Records the version `global` was produced in.
  virtual void define(mlir::Value global, Placed placed) = 0;
  /// The version `global` was produced in.
  virtual const Placed &current(mlir::Value global) = 0;
  virtual mlir::OpBuilder &getBuilder() = 0;
  virtual PlacementContext &getPlacementContext() = 0;
  virtual mlir::FlatSymbolRefAttr getMesh() = 0;
  /// The local types a placement implies (S -> V, R -> R, P -> P).
  virtual Kinds kindsOf(const placement::TensorPlacement &p) = 0;
};

/// Expert parallelism (ep > 1): the moe.dispatch / moe.experts /
/// moe.combine chain and its gradients, rewritten into the folded dispatch
/// (docs/partition.md, "Expert parallelism and the folded dispatch").
/// The token-row values of the global chain (sorted rows, group sizes,
/// expert outputs and their gradients) have no placement: their per-rank
/// versions live in this side table, keyed by the global values, and any
/// other use of them is an error.
class ExpertParallel {
public:
  explicit ExpertParallel(PartitionHost &host) : host(host) {}

  /// True when `op` is part of an expert-parallel chain this class
  /// partitions.
  bool handles(mlir::Operation *op) const;
  mlir::LogicalResult partition(mlir::Operation *op);
  /// Fails with a diagnostic when `op`, which this class does not handle,
  /// uses a value that exists only inside a chain.
  mlir::LogicalResult checkUses(mlir::Operation *op) const;

private:
  /// One dispatch -> experts -> combine chain and its gradients.
  struct Chain {
    /// Placement of the folded tokens, indices and scores (dense view).
    placement::TensorPlacement fold;
    int64_t numExperts = 0, ep = 1;
    int64_t tokens = 0, topK = 0; // folded tokens Tf and K
    mlir::Value sorted;     // local dispatch rows [Tf*K, H]
    mlir::Value sizes;      // local per-expert counts [E]
    mlir::Value peerSizes;  // exchanged counts [ep][E/ep] as [E]
    mlir::Value send, recv; // rows to / from each ep peer [ep]
    mlir::Value rows;       // received rows [C, H]
    mlir::Value back;       // expert outputs back in dispatch order
    mlir::Value dBack;      // their gradient, from combine_grad
    mlir::Value dSorted;    // gradient of the local dispatch rows
    mlir::Type foldedXType; // [B_f, S_f, H]
    /// The routed-expert weights w_gate, w_up, w_down (expert view).
    llvm::SmallVector<placement::TensorPlacement, 3> weights;
    /// Expert tensor parallelism (etp = tp): the tokens are not folded (the
    /// tp lanes are the etp lanes), and the expert outputs, the combined
    /// tokens and the score and token gradients are pending sums over tp.
    bool etp = false;
  };

  mlir::FailureOr<placement::TensorPlacement> foldPlacement(mlir::Operation *op,
                                                            mlir::Value x);
  mlir::Value allToAll(mlir::Location loc, mlir::Value input, mlir::Value send,
                       mlir::Value recv, int64_t rows);
  Chain *lookup(mlir::Value global) const;
  mlir::LogicalResult unfold(mlir::Value global, mlir::Operation *op,
                             bool asPartial);
  /// Defines `global` as `local`, a pending sum over tp made by the F
  /// contraction of the etp-split experts (typed V there).
  void definePending(mlir::Value global, const Chain &chain, mlir::Value local);

  mlir::LogicalResult partitionDispatch(mlir::Operation *op);
  mlir::LogicalResult partitionExperts(mlir::Operation *op);
  mlir::LogicalResult partitionCombine(mlir::Operation *op);
  mlir::LogicalResult partitionCombineGrad(mlir::Operation *op);
  mlir::LogicalResult partitionExpertsGrad(mlir::Operation *op);
  mlir::LogicalResult partitionDispatchGrad(mlir::Operation *op);

  PartitionHost &host;
  std::deque<Chain> chains;
  /// Global chain values -> their chain.
  llvm::DenseMap<mlir::Value, Chain *> byValue;
};

} // namespace moefold::moe::partition

#endif // MOEFOLD_LIB_DIALECT_MOE_TRANSFORMS_EXPERTPARALLEL_H
