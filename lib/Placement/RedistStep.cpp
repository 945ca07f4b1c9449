//===- RedistStep.cpp - Redistribution steps, transposes, printing --------===//

#include "moefold/Placement/Redistribution.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

#include <cassert>

using namespace moefold::placement;

llvm::StringRef
moefold::placement::stringifyCollectiveKind(CollectiveKind kind) {
  switch (kind) {
  case CollectiveKind::LocalSlice:
    return "local_slice";
  case CollectiveKind::ZeroPad:
    return "zero_pad";
  case CollectiveKind::AllGather:
    return "all_gather";
  case CollectiveKind::AllReduce:
    return "all_reduce";
  case CollectiveKind::ReduceScatter:
    return "reduce_scatter";
  case CollectiveKind::AllToAll:
    return "all_to_all";
  }
  llvm_unreachable("unknown CollectiveKind");
}

/// The global placement of the gradient of a value placed as `p`: a
/// replicated value's gradient is a pending sum and vice versa; shards stay.
static AxisPlacement getGradientPlacement(const AxisPlacement &p) {
  switch (p.getKind()) {
  case AxisPlacement::Kind::Replicate:
    return AxisPlacement::partial(ReduceKind::Sum);
  case AxisPlacement::Kind::Shard:
    return p;
  case AxisPlacement::Kind::Partial:
    return AxisPlacement::replicate();
  }
  llvm_unreachable("unknown AxisPlacement kind");
}

static CollectiveKind getTransposeKind(CollectiveKind kind) {
  switch (kind) {
  case CollectiveKind::LocalSlice:
    return CollectiveKind::ZeroPad;
  case CollectiveKind::ZeroPad:
    return CollectiveKind::LocalSlice;
  case CollectiveKind::AllGather:
    return CollectiveKind::ReduceScatter;
  case CollectiveKind::ReduceScatter:
    return CollectiveKind::AllGather;
  case CollectiveKind::AllReduce:
    return CollectiveKind::AllReduce;
  case CollectiveKind::AllToAll:
    return CollectiveKind::AllToAll;
  }
  llvm_unreachable("unknown CollectiveKind");
}

RedistStep moefold::placement::getTranspose(const RedistStep &step) {
  assert(!step.maskedByArgmax && "a masked all_reduce has no transpose");
  RedistStep t;
  t.kind = getTransposeKind(step.kind);
  t.axis = step.axis;
  t.axisName = step.axisName;
  t.axisSize = step.axisSize;
  // The gradient flows from the output back to the input.
  t.srcPlacement = getGradientPlacement(step.dstPlacement);
  t.dstPlacement = getGradientPlacement(step.srcPlacement);
  t.srcDim = step.dstDim;
  t.dstDim = step.srcDim;
  // Gradients of a max are summed and routed to the argmax; every other
  // reduction here is linear, so its transpose keeps the scale.
  t.reduce = ReduceKind::Sum;
  t.scaleDivisor = step.scaleDivisor;
  t.maskedByArgmax = step.reduce == ReduceKind::Max;
  t.srcType = getGradientType(step.dstType);
  t.dstType = getGradientType(step.srcType);
  t.srcLocalShape = step.dstLocalShape;
  t.dstLocalShape = step.srcLocalShape;
  return t;
}

static void printShape(llvm::raw_ostream &os, llvm::ArrayRef<int64_t> shape) {
  if (shape.empty()) {
    os << "scalar";
    return;
  }
  llvm::interleave(shape, os, "x");
}

void RedistStep::print(llvm::raw_ostream &os) const {
  os << stringifyCollectiveKind(kind) << ' ' << axisName << ": " << srcPlacement
     << " -> " << dstPlacement << " (" << srcType << " -> " << dstType << ") ";
  printShape(os, srcLocalShape);
  os << " -> ";
  printShape(os, dstLocalShape);
  if (kind == CollectiveKind::AllReduce ||
      kind == CollectiveKind::ReduceScatter)
    os << " op=" << stringifyReduceKind(reduce);
  if (scaleDivisor != 1)
    os << " scale=1/" << scaleDivisor;
  if (maskedByArgmax)
    os << " masked-by-argmax";
}

std::vector<RedistStep> RedistributionPlan::getBackwardSteps() const {
  std::vector<RedistStep> backward;
  for (const PlanStep &step : llvm::reverse(steps))
    backward.push_back(step.transpose);
  return backward;
}

void RedistributionPlan::print(llvm::raw_ostream &os) const {
  os << "redistribute " << viewName << ' ';
  printShape(os, globalShape);
  os << ' ' << src << " -> " << dst << '\n';
  for (auto [i, step] : llvm::enumerate(steps))
    os << "  forward " << i << ": " << step.forward << '\n';
  for (auto [i, step] : llvm::enumerate(getBackwardSteps()))
    os << "  backward " << i << ": " << step << '\n';
}

llvm::raw_ostream &moefold::placement::operator<<(llvm::raw_ostream &os,
                                                  const RedistStep &step) {
  step.print(os);
  return os;
}

llvm::raw_ostream &
moefold::placement::operator<<(llvm::raw_ostream &os,
                               const RedistributionPlan &plan) {
  plan.print(os);
  return os;
}
