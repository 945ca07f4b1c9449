//===- Redistribution.cpp - Planning redistributions between placements ---===//
//
// The planner works on a "stack" per tensor dim: the axes sharding that dim,
// outer first. A placement's stacks are always in view order, and the
// physical meaning of each step fixes how it changes them:
//
//   local_slice / reduce_scatter on dim d    push the axis (innermost)
//   all_gather on dim d                      pop the innermost axis only
//   all_to_all dim i -> dim j                pop from i, push onto j
//
// A push is only taken when the stack stays a prefix of the target's stack,
// and an S axis that is not in the target prefix is gathered away, so every
// intermediate placement is itself valid (view-ordered) and the plan always
// terminates: each axis is gathered at most once and placed at most once.
//
//===----------------------------------------------------------------------===//

#include "moefold/Placement/Redistribution.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace moefold::placement;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

template <typename T> static std::string toString(const T &value) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << value;
  return out;
}

namespace {

/// The kinds of move in priority order (see planRedistribution).
enum class MoveClass {
  Slice,
  ReduceScatter,
  AllToAll,
  AllReduce,
  /// S -> R, or an S axis at the wrong position of its own dim's stack.
  Gather,
  /// S(i) -> S(j) whose all_to_all is blocked: gather now, slice later.
  FallbackGather,
};

constexpr MoveClass kMoveOrder[] = {
    MoveClass::Slice,     MoveClass::ReduceScatter, MoveClass::AllToAll,
    MoveClass::AllReduce, MoveClass::Gather,        MoveClass::FallbackGather};

class Planner {
public:
  Planner(const View &view, llvm::ArrayRef<int64_t> globalShape,
          const TensorPlacement &src, const TensorPlacement &dst)
      : view(view), globalShape(globalShape), dst(dst), cur(src) {}

  llvm::Expected<std::vector<PlanStep>> run();

private:
  bool pushKeepsPrefix(unsigned axis, int64_t dim) const;
  bool isInnermost(unsigned axis, int64_t dim) const;
  bool isSettled(unsigned axis) const;
  std::optional<CollectiveKind> getMove(MoveClass moveClass,
                                        unsigned axis) const;
  llvm::Expected<RedistStep> apply(CollectiveKind kind, unsigned axis);

  const View &view;
  llvm::ArrayRef<int64_t> globalShape;
  const TensorPlacement &dst;
  TensorPlacement cur;
};

} // namespace

bool Planner::pushKeepsPrefix(unsigned axis, int64_t dim) const {
  llvm::SmallVector<unsigned, 4> stack = cur.getShardAxes(dim);
  stack.push_back(axis);
  llvm::SmallVector<unsigned, 4> target = dst.getShardAxes(dim);
  return stack.size() <= target.size() &&
         llvm::equal(stack, llvm::ArrayRef(target).take_front(stack.size()));
}

bool Planner::isInnermost(unsigned axis, int64_t dim) const {
  llvm::SmallVector<unsigned, 4> stack = cur.getShardAxes(dim);
  return !stack.empty() && stack.back() == axis;
}

bool Planner::isSettled(unsigned axis) const {
  if (cur[axis] != dst[axis])
    return false;
  if (!cur[axis].isShard())
    return true;
  // The stack up to and including this axis must already be the target's.
  int64_t dim = cur[axis].getShardDim();
  llvm::SmallVector<unsigned, 4> stack = cur.getShardAxes(dim);
  llvm::SmallVector<unsigned, 4> target = dst.getShardAxes(dim);
  size_t upTo = llvm::find(stack, axis) - stack.begin() + 1;
  return upTo <= target.size() &&
         llvm::equal(llvm::ArrayRef(stack).take_front(upTo),
                     llvm::ArrayRef(target).take_front(upTo));
}

std::optional<CollectiveKind> Planner::getMove(MoveClass moveClass,
                                               unsigned axis) const {
  const AxisPlacement &from = cur[axis];
  const AxisPlacement &to = dst[axis];
  if (isSettled(axis))
    return std::nullopt;
  switch (moveClass) {
  case MoveClass::Slice:
    if (from.isReplicate() && to.isShard() &&
        pushKeepsPrefix(axis, to.getShardDim()))
      return CollectiveKind::LocalSlice;
    break;
  case MoveClass::ReduceScatter:
    if (from.isPartial() && to.isShard() &&
        pushKeepsPrefix(axis, to.getShardDim()))
      return CollectiveKind::ReduceScatter;
    break;
  case MoveClass::AllToAll:
    if (from.isShard() && to.isShard() &&
        from.getShardDim() != to.getShardDim() &&
        isInnermost(axis, from.getShardDim()) &&
        pushKeepsPrefix(axis, to.getShardDim()))
      return CollectiveKind::AllToAll;
    break;
  case MoveClass::AllReduce:
    if (from.isPartial() && to.isReplicate())
      return CollectiveKind::AllReduce;
    break;
  case MoveClass::Gather:
    if (from.isShard() && isInnermost(axis, from.getShardDim()) &&
        (to.isReplicate() || to.isShardOf(from.getShardDim())))
      return CollectiveKind::AllGather;
    break;
  case MoveClass::FallbackGather:
    if (from.isShard() && isInnermost(axis, from.getShardDim()))
      return CollectiveKind::AllGather;
    break;
  }
  return std::nullopt;
}

llvm::Expected<RedistStep> Planner::apply(CollectiveKind kind, unsigned axis) {
  AxisPlacement from = cur[axis];
  // A gather always lands on R; every other move reaches the target.
  AxisPlacement to = kind == CollectiveKind::AllGather
                         ? AxisPlacement::replicate()
                         : dst[axis];

  RedistStep step;
  step.kind = kind;
  step.axis = axis;
  step.axisName = view.getAxis(axis).name;
  step.axisSize = view.getAxisSize(axis);
  step.srcPlacement = from;
  step.dstPlacement = to;
  step.srcDim = from.isShard() ? from.getShardDim() : -1;
  step.dstDim = to.isShard() ? to.getShardDim() : -1;
  if (from.isPartial()) {
    ReduceKind reduce = from.getReduceKind();
    step.reduce = reduce == ReduceKind::Max ? ReduceKind::Max : ReduceKind::Sum;
    step.scaleDivisor = reduce == ReduceKind::Avg ? step.axisSize : 1;
  }
  step.srcType = getLocalType(from);
  step.dstType = getLocalType(to);

  auto srcShape = getLocalShape(view, globalShape, cur);
  if (!srcShape)
    return srcShape.takeError();
  cur.set(axis, to);
  auto dstShape = getLocalShape(view, globalShape, cur);
  if (!dstShape)
    return dstShape.takeError();
  step.srcLocalShape = std::move(*srcShape);
  step.dstLocalShape = std::move(*dstShape);
  return step;
}

llvm::Expected<std::vector<PlanStep>> Planner::run() {
  std::vector<PlanStep> steps;
  // Each axis is gathered at most once and placed at most once.
  unsigned budget = 2 * view.getNumAxes();
  while (cur != dst) {
    if (budget-- == 0)
      return makeError("redistribution planner made no progress from " +
                       toString(cur) + " to " + toString(dst));
    std::optional<std::pair<CollectiveKind, unsigned>> move;
    for (MoveClass moveClass : kMoveOrder) {
      for (unsigned axis = 0; axis < view.getNumAxes() && !move; ++axis)
        if (std::optional<CollectiveKind> kind = getMove(moveClass, axis))
          move = {*kind, axis};
      if (move)
        break;
    }
    if (!move)
      return makeError("redistribution planner found no step from " +
                       toString(cur) + " to " + toString(dst));
    llvm::Expected<RedistStep> step = apply(move->first, move->second);
    if (!step)
      return step.takeError();
    RedistStep transpose = getTranspose(*step);
    steps.push_back({std::move(*step), std::move(transpose)});
  }
  return steps;
}

/// Rejects per-axis changes no collective implements.
static llvm::Error checkSupported(const View &view, const TensorPlacement &src,
                                  const TensorPlacement &dst) {
  for (unsigned axis = 0; axis < view.getNumAxes(); ++axis) {
    const AxisPlacement &from = src[axis];
    const AxisPlacement &to = dst[axis];
    if (from == to)
      continue;
    const char *reason = nullptr;
    if (to.isPartial())
      reason = from.isPartial()
                   ? "changing the reduction of a pending value is not "
                     "supported"
                   : "no collective creates a pending reduction";
    else if (from.isPartial() && from.getReduceKind() == ReduceKind::Max &&
             !to.isReplicate())
      reason = "P(max) only supports all_reduce(max) to R (max is not "
               "differentiable as a sum)";
    if (reason)
      return makeError("cannot redistribute on axis '" +
                       view.getAxis(axis).name + "' from " + toString(from) +
                       " to " + toString(to) + " (in " + toString(src) +
                       " -> " + toString(dst) + "): " + reason);
  }
  return llvm::Error::success();
}

llvm::Expected<RedistributionPlan> moefold::placement::planRedistribution(
    const View &view, llvm::ArrayRef<int64_t> globalShape,
    const TensorPlacement &src, const TensorPlacement &dst) {
  if (llvm::Error err = verifyPlacement(view, globalShape, src))
    return std::move(err);
  if (llvm::Error err = verifyPlacement(view, globalShape, dst))
    return std::move(err);
  if (llvm::Error err = checkSupported(view, src, dst))
    return std::move(err);

  llvm::Expected<std::vector<PlanStep>> steps =
      Planner(view, globalShape, src, dst).run();
  if (!steps)
    return steps.takeError();

  RedistributionPlan plan;
  plan.viewName = view.getName().str();
  plan.globalShape.assign(globalShape.begin(), globalShape.end());
  plan.src = src;
  plan.dst = dst;
  plan.steps = std::move(*steps);
  return plan;
}
