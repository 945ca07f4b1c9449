//===- Redistribution.h - Plans between two tensor placements --*- C++ -*-===//
//
// A redistribution plan turns the local shards of a tensor placed one way on
// a view into the shards of another placement of the same view, one axis per
// step. Each step comes with its transpose: the step the backward pass runs
// on the gradient, with the gradient's local types (DESIGN.md §4):
//
//   forward                          transpose
//   local_slice    R -> S(d)  R->V   zero_pad       S(d) -> P  V->P
//   all_gather     S(d) -> R  V->R   reduce_scatter P -> S(d)  P->V
//   all_reduce     P -> R     P->R   all_reduce     P -> R     P->R
//   reduce_scatter P -> S(d)  P->V   all_gather     S(d) -> R  V->R
//   all_to_all  S(i) -> S(j)  V->V   all_to_all  S(j) -> S(i)  V->V
//
// P(avg) reduces as a sum and then scales by 1/size; the transpose carries
// the same scale. P(max) only supports all_reduce(max) to R; its transpose is
// a sum all_reduce of the output gradient masked by the argmax (the caller
// supplies the mask), since max is not differentiable as a sum.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_PLACEMENT_REDISTRIBUTION_H
#define MOEFOLD_PLACEMENT_REDISTRIBUTION_H

#include "moefold/Placement/LocalType.h"
#include "moefold/Placement/Placement.h"

#include <vector>

namespace moefold::placement {

enum class CollectiveKind {
  /// Keep this rank's block of dim `dstDim`; no communication.
  LocalSlice,
  /// Put the local block at this rank's offset of dim `srcDim` in an
  /// otherwise zero tensor; no communication.
  ZeroPad,
  AllGather,
  AllReduce,
  ReduceScatter,
  AllToAll,
};

/// `local_slice`, `zero_pad`, `all_gather`, `all_reduce`, `reduce_scatter`,
/// `all_to_all`.
llvm::StringRef stringifyCollectiveKind(CollectiveKind kind);

/// One collective (or local op) over one view axis.
struct RedistStep {
  CollectiveKind kind = CollectiveKind::AllReduce;
  /// The view axis the step runs over, its name and size.
  unsigned axis = 0;
  std::string axisName;
  int64_t axisSize = 1;
  /// The tensor's placement on `axis` before and after the step. For a
  /// transpose these are the gradient's placements.
  AxisPlacement srcPlacement = AxisPlacement::replicate();
  AxisPlacement dstPlacement = AxisPlacement::replicate();
  /// The dim sharded over `axis` before the step (all_gather, zero_pad,
  /// all_to_all: the dim that is concatenated), or -1.
  int64_t srcDim = -1;
  /// The dim sharded over `axis` after the step (local_slice,
  /// reduce_scatter, all_to_all: the dim that is split), or -1.
  int64_t dstDim = -1;
  /// The combining op of all_reduce / reduce_scatter: Sum or Max (an
  /// average is a Sum with scaleDivisor = axis size).
  ReduceKind reduce = ReduceKind::Sum;
  /// The result is multiplied by 1 / scaleDivisor.
  int64_t scaleDivisor = 1;
  /// Only for the transpose of all_reduce(max): the gradient flows only to
  /// the ranks that held the maximum.
  bool maskedByArgmax = false;
  /// Local SPMD types on `axis` before and after.
  LocalType srcType = LocalType::Replicate;
  LocalType dstType = LocalType::Replicate;
  /// Per-rank shapes before and after.
  llvm::SmallVector<int64_t, 4> srcLocalShape;
  llvm::SmallVector<int64_t, 4> dstLocalShape;

  double getScale() const { return 1.0 / static_cast<double>(scaleDivisor); }

  /// Prints e.g.
  /// `all_reduce dp: P(avg) -> R (P -> R) 8x4 -> 8x4 op=sum scale=1/4`.
  void print(llvm::raw_ostream &os) const;
};

/// The step the backward pass runs for `step` (see the table above). Its
/// placements are the gradient's (R <-> P(sum), S(d) stays); an average
/// keeps its scale. A masked all_reduce has no transpose.
RedistStep getTranspose(const RedistStep &step);

/// A forward step and its transpose.
struct PlanStep {
  RedistStep forward;
  RedistStep transpose;
};

/// Steps turning `src` shards into `dst` shards, in execution order.
struct RedistributionPlan {
  std::string viewName;
  llvm::SmallVector<int64_t, 4> globalShape;
  TensorPlacement src;
  TensorPlacement dst;
  std::vector<PlanStep> steps;

  /// The transposes in the order the backward pass runs them (reversed).
  std::vector<RedistStep> getBackwardSteps() const;

  /// Prints a header line, one `forward N:` line per step and one
  /// `backward N:` line per backward step.
  void print(llvm::raw_ostream &os) const;
};

/// Plans the redistribution of a tensor of `globalShape` on `view` from
/// `src` to `dst`. Axes whose placement does not change (and whose sharded
/// blocks stay in place) get no step. Steps are ordered by kind, cheapest
/// and data-shrinking first, then by view axis order:
///
///   1. local_slice      (R -> S)
///   2. reduce_scatter   (P -> S)
///   3. all_to_all       (S(i) -> S(j))
///   4. all_reduce       (P -> R)
///   5. all_gather       (S -> R, innermost sharding axis of a dim first)
///
/// Sharding a dim over several axes must keep the earlier view axis outer,
/// so a step is only taken when it leaves every dim's axis stack a prefix of
/// the target's; an axis sharded in the wrong position is gathered and
/// sliced again. Unsupported changes (R or S to P, P(a) to P(b), P(max) to
/// anything but R) are errors naming the axis and both placements.
llvm::Expected<RedistributionPlan>
planRedistribution(const View &view, llvm::ArrayRef<int64_t> globalShape,
                   const TensorPlacement &src, const TensorPlacement &dst);

llvm::raw_ostream &operator<<(llvm::raw_ostream &os, const RedistStep &step);
llvm::raw_ostream &operator<<(llvm::raw_ostream &os,
                              const RedistributionPlan &plan);

} // namespace moefold::placement

#endif // MOEFOLD_PLACEMENT_REDISTRIBUTION_H
