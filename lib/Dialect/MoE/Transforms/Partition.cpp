//===- Partition.cpp - global program to per-rank program -----------------===//
//
// Implements moe-partition (docs/partition.md, contract:
// docs/design/partitioning.md §4). Every function carrying placements is
// rewritten, op by op in program order, into the program one rank runs:
//
//  - every tensor gets its local (per-rank) type from its placement;
//  - each op's sharding rule (PartitionRules.h) and its own result
//    placements decide, per mesh axis, how the op is computed locally (on a
//    shard of one factor, on a pending sum flowing through a linear operand,
//    or replicated); every operand is redistributed from the placement it
//    has to the one the op needs, with the collectives of the placement
//    algebra's redistribution plan (lib/Placement/Redistribution.cpp);
//  - results whose reduction factor is sharded stay P and are reduced only
//    when (and where) a consumer needs them whole, once (lazy reduction);
//  - parameters and states get local types (`global_type` keeps the global
//    one); gradients reaching the optimizer are redistributed to their
//    parameter's placement, which is where the DP all-reduce appears.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/MoE/Transforms/Passes.h"

#include "PartitionRules.h"
#include "moefold/Dialect/MoE/IR/MoEOps.h"
#include "moefold/Dialect/SPMD/IR/MeshLayoutBridge.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"
#include "moefold/Placement/LocalType.h"
#include "moefold/Placement/Redistribution.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

namespace moefold::moe {
#define GEN_PASS_DEF_MOEPARTITIONPASS
#include "moefold/Dialect/MoE/Transforms/Passes.h.inc"
} // namespace moefold::moe

using namespace mlir;
using namespace moefold;
using namespace moefold::moe;
using namespace moefold::moe::partition;
using placement::AxisPlacement;
using placement::TensorPlacement;
using placement::View;

/// Per-result placements written by moe-propagate-placements.
static constexpr StringLiteral kPlacementsAttr = "spmd.placements";
/// Function argument / result placement and local type.
static constexpr StringLiteral kPlacementArgAttr = "spmd.placement";
static constexpr StringLiteral kLocalAttr = "spmd.local";
/// What a partitioned declaration or argument keeps of its global form.
static constexpr StringLiteral kGlobalTypeAttr = "global_type";
static constexpr StringLiteral kGlobalPlacementAttr = "global_placement";
/// The same for function arguments, which only take dialect attributes.
static constexpr StringLiteral kArgGlobalTypeAttr = "moe.global_type";
static constexpr StringLiteral kArgGlobalPlacementAttr = "moe.global_placement";

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static std::string str(const TensorPlacement &p) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << p;
  return s;
}

static std::string str(const AxisPlacement &p) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << p;
  return s;
}

static bool hasPartial(const TensorPlacement &p) {
  for (unsigned a = 0, e = p.getNumAxes(); a < e; ++a)
    if (p[a].isPartial())
      return true;
  return false;
}

static bool isAllReplicated(const TensorPlacement &p) {
  for (unsigned a = 0, e = p.getNumAxes(); a < e; ++a)
    if (!p[a].isReplicate())
      return false;
  return true;
}

static spmd::LocalTypeKind toKind(placement::LocalType type) {
  switch (type) {
  case placement::LocalType::Replicate:
    return spmd::LocalTypeKind::Replicate;
  case placement::LocalType::Invariant:
    return spmd::LocalTypeKind::Invariant;
  case placement::LocalType::Varying:
    return spmd::LocalTypeKind::Varying;
  case placement::LocalType::Partial:
    return spmd::LocalTypeKind::Partial;
  }
  llvm_unreachable("unknown local type");
}

static spmd::ReductionKind toReduction(const placement::RedistStep &step) {
  if (step.reduce == placement::ReduceKind::Max)
    return spmd::ReductionKind::Max;
  return step.scaleDivisor > 1 ? spmd::ReductionKind::Avg
                               : spmd::ReductionKind::Sum;
}

static bool isCommunication(placement::CollectiveKind kind) {
  return kind != placement::CollectiveKind::LocalSlice &&
         kind != placement::CollectiveKind::ZeroPad;
}

namespace {

//===----------------------------------------------------------------------===//
// Module-wide state
//===----------------------------------------------------------------------===//

/// The mesh and the placements of the module's declarations.
struct ModuleInfo {
  spmd::MeshOp mesh;
  FlatSymbolRefAttr meshRef;
  placement::MeshLayout layout;
  llvm::StringMap<TensorPlacement> paramPlacements;
  llvm::StringMap<TensorPlacement> statePlacements;
  /// The global placement a state was given (its own, or its parameter's).
  llvm::StringMap<spmd::PlacementAttr> statePlacementAttrs;

  const View &getView(StringRef name) const {
    const View *view = layout.lookupView(name);
    assert(view && "placements are built from the layout's views");
    return *view;
  }
  const View &getView(const TensorPlacement &p) const {
    return getView(p.getViewName());
  }
  TensorPlacement replicated(StringRef viewName = spmd::kDenseView) const {
    return TensorPlacement(getView(viewName));
  }
  /// Axes of size 1 hold the whole tensor whatever the placement says: they
  /// are R, so that only axes that split something ever need work.
  TensorPlacement normalize(TensorPlacement p) const {
    const View &view = getView(p);
    for (unsigned a = 0, e = p.getNumAxes(); a < e; ++a)
      if (view.getAxisSize(a) == 1)
        p.set(a, AxisPlacement::replicate());
    return p;
  }
  /// The local SPMD type a placement implies (S -> V, R -> R, P -> P) on
  /// every axis of its view.
  spmd::LocalTypeAttr
  getLocalTypeAttr(MLIRContext *ctx, const TensorPlacement &p,
                   ArrayRef<StringRef> invariantAxes = {}) const {
    SmallVector<StringAttr> axes;
    SmallVector<spmd::LocalTypeKind> kinds;
    for (unsigned a = 0, e = p.getNumAxes(); a < e; ++a) {
      axes.push_back(StringAttr::get(ctx, p.getAxisName(a)));
      kinds.push_back(llvm::is_contained(invariantAxes, p.getAxisName(a))
                          ? spmd::LocalTypeKind::Invariant
                          : toKind(placement::getLocalType(p[a])));
    }
    return spmd::LocalTypeAttr::get(
        ctx, meshRef, StringAttr::get(ctx, p.getViewName()), axes, kinds);
  }
  /// `attr` as a normalised placement checked against `type`.
  FailureOr<TensorPlacement>
  parsePlacement(spmd::PlacementAttr attr, RankedTensorType type,
                 function_ref<InFlightDiagnostic()> emitError) const {
    if (attr.getMesh() != meshRef)
      return emitError() << "placement " << attr << " names mesh "
                         << attr.getMesh() << ", but moe-partition runs on "
                         << meshRef << " (one mesh per module)";
    FailureOr<TensorPlacement> p =
        spmd::getTensorPlacement(layout, attr, emitError);
    if (failed(p))
      return failure();
    if (llvm::Error err =
            placement::verifyPlacement(getView(*p), type.getShape(), *p))
      return emitError() << "placement " << attr << " does not fit " << type
                         << ": " << llvm::toString(std::move(err));
    return normalize(*p);
  }
  /// The per-rank type of a global tensor of type `type` placed `p`.
  FailureOr<RankedTensorType>
  getLocalType(RankedTensorType type, const TensorPlacement &p,
               function_ref<InFlightDiagnostic()> emitError) const {
    auto shape = placement::getLocalShape(getView(p), type.getShape(), p);
    if (!shape)
      return emitError() << "cannot place " << type << " as " << str(p) << ": "
                         << llvm::toString(shape.takeError());
    return RankedTensorType::get(*shape, type.getElementType());
  }
};

//===----------------------------------------------------------------------===//
// One function
//===----------------------------------------------------------------------===//

/// A global value's per-rank version in one placement.
struct Placed {
  TensorPlacement placement;
  Value local;
};

/// How one op is computed locally on one mesh axis.
struct AxisMode {
  enum Kind { Replicated, Shard, Partial } kind = Replicated;
  /// Shard: the factor the axis splits.
  unsigned factor = 0;
  /// Partial: the operands that carry the pending sum.
  SmallVector<unsigned, 2> partialOperands;
};

class FunctionPartitioner {
public:
  FunctionPartitioner(const ModuleInfo &info, func::FuncOp func)
      : info(info), func(func), builder(func.getContext()),
        ctx(func.getContext()) {}

  LogicalResult run();

private:
  // -- values ---------------------------------------------------------------
  /// The version of `global` placed `target`, redistributing (at the
  /// builder's insertion point) from the cheapest version made so far.
  /// `mayMakePartial`: a missing P may be produced by a local conversion
  /// (R -> P, or zero-padding a shard), valid for a linear use.
  FailureOr<Value> getAs(Value global, const TensorPlacement &target,
                         Operation *user, bool mayMakePartial);
  FailureOr<Value> redistribute(Value local, RankedTensorType globalType,
                                TensorPlacement from,
                                const TensorPlacement &target, Operation *user,
                                bool mayMakePartial);
  Value emitStep(Location loc, Value input, Type elementType, StringRef view,
                 ArrayRef<const placement::RedistStep *> steps);
  void define(Value global, const TensorPlacement &p, Value local);
  const Placed &current(Value global) { return values.find(global)->second; }
  /// The global type of a value of the original program (arguments are
  /// retyped in place, so theirs is remembered).
  RankedTensorType getGlobalType(Value global) {
    if (auto it = argTypes.find(global); it != argTypes.end())
      return it->second;
    return cast<RankedTensorType>(global.getType());
  }
  /// The placement of `global` as seen on `view`: its own on that view; on
  /// another view, R where it is replicated everywhere (anything else is
  /// reported when the value is redistributed).
  TensorPlacement placementOn(Value global, const View &view) {
    const TensorPlacement &p = current(global).placement;
    if (p.getViewName() == view.getName())
      return p;
    return TensorPlacement(view);
  }

  // -- ops ------------------------------------------------------------------
  LogicalResult partitionOp(Operation *op);
  LogicalResult partitionWithRule(Operation *op, const OpRule &rule);
  LogicalResult partitionGlobalNorm(GlobalNormOp op);
  LogicalResult partitionReturn(func::ReturnOp op);
  FailureOr<SmallVector<TensorPlacement, 2>> getAnnotations(Operation *op);
  FailureOr<AxisMode> chooseMode(Operation *op, const OpRule &rule,
                                 ArrayRef<TensorPlacement> annotations,
                                 const View &view, unsigned axis);
  /// Clones `op` with `operands`, result types `types`, minus the global
  /// placements.
  Operation *cloneLocal(Operation *op, ValueRange operands,
                        ArrayRef<Type> types);

  const ModuleInfo &info;
  func::FuncOp func;
  OpBuilder builder;
  MLIRContext *ctx;
  /// The placement each global value was produced in, and its local value.
  DenseMap<Value, Placed> values;
  /// Every per-rank version of a global value made so far.
  DenseMap<Value, SmallVector<Placed, 1>> versions;
  /// Global types of the arguments.
  DenseMap<Value, RankedTensorType> argTypes;
};

} // namespace

void FunctionPartitioner::define(Value global, const TensorPlacement &p,
                                 Value local) {
  values.insert_or_assign(global, Placed{p, local});
  versions[global].push_back(Placed{p, local});
}

Operation *FunctionPartitioner::cloneLocal(Operation *op, ValueRange operands,
                                           ArrayRef<Type> types) {
  IRMapping mapping;
  mapping.map(op->getOperands(), operands);
  Operation *clone = builder.clone(*op, mapping);
  for (auto [result, type] : llvm::zip(clone->getResults(), types))
    result.setType(type);
  clone->removeAttr(kPlacementsAttr);
  return clone;
}

//===----------------------------------------------------------------------===//
// Redistribution
//===----------------------------------------------------------------------===//

Value FunctionPartitioner::emitStep(
    Location loc, Value input, Type elementType, StringRef view,
    ArrayRef<const placement::RedistStep *> steps) {
  using placement::CollectiveKind;
  using K = spmd::LocalTypeKind;
  const placement::RedistStep &step = *steps.front();
  SmallVector<StringRef> axes;
  for (const placement::RedistStep *s : steps)
    axes.push_back(s->axisName);
  auto dstType = RankedTensorType::get(step.dstLocalShape, elementType);
  switch (step.kind) {
  case CollectiveKind::LocalSlice:
    return spmd::ConvertOp::create(builder, loc, dstType, input, info.meshRef,
                                   view, axes, K::Replicate, K::Varying,
                                   step.dstDim);
  case CollectiveKind::ZeroPad:
    return spmd::ConvertOp::create(builder, loc, dstType, input, info.meshRef,
                                   view, axes, K::Varying, K::Partial,
                                   step.srcDim);
  case CollectiveKind::AllGather:
    return spmd::AllGatherOp::create(builder, loc, dstType, input, info.meshRef,
                                     view, axes, K::Varying, K::Replicate,
                                     step.srcDim);
  case CollectiveKind::AllReduce:
    return spmd::AllReduceOp::create(builder, loc, input, info.meshRef, view,
                                     axes, K::Partial, K::Replicate,
                                     toReduction(step));
  case CollectiveKind::ReduceScatter:
    return spmd::ReduceScatterOp::create(
        builder, loc, dstType, input, info.meshRef, view, axes, K::Partial,
        K::Varying, step.dstDim, toReduction(step));
  case CollectiveKind::AllToAll: {
    // spmd.all_to_all exchanges row blocks (dim 0) with explicit counts;
    // a dense S(i) -> S(j) is done here as a gather on i and a local slice
    // on j (v1: correct, but moves g times the data of an all-to-all).
    SmallVector<int64_t> gathered(step.srcLocalShape.begin(),
                                  step.srcLocalShape.end());
    gathered[step.srcDim] *= step.axisSize;
    auto gatheredType = RankedTensorType::get(gathered, elementType);
    Value full = spmd::AllGatherOp::create(builder, loc, gatheredType, input,
                                           info.meshRef, view, axes, K::Varying,
                                           K::Replicate, step.srcDim);
    return spmd::ConvertOp::create(builder, loc, dstType, full, info.meshRef,
                                   view, axes, K::Replicate, K::Varying,
                                   step.dstDim);
  }
  }
  llvm_unreachable("unknown collective kind");
}

FailureOr<Value> FunctionPartitioner::redistribute(
    Value local, RankedTensorType globalType, TensorPlacement from,
    const TensorPlacement &target, Operation *user, bool mayMakePartial) {
  Location loc = user->getLoc();
  Type elementType = globalType.getElementType();

  // Across views only a value replicated on every axis that splits
  // anything changes hands (ep = 1: the expert view's placements of
  // replicated experts are trivially R).
  if (from.getViewName() != target.getViewName()) {
    if (isAllReplicated(from)) {
      from = info.replicated(target.getViewName());
    } else {
      TensorPlacement replicatedFrom = info.replicated(from.getViewName());
      if (!isAllReplicated(target)) {
        return user->emitOpError()
               << "needs a value placed " << str(target) << " on the '"
               << target.getViewName() << "' view, but it is placed "
               << str(from) << " on the '" << from.getViewName()
               << "' view; moe-partition moves values between views only "
                  "when they are replicated (expert parallelism, ep > 1, is "
                  "not supported yet)";
      }
      FailureOr<Value> r = redistribute(local, globalType, from, replicatedFrom,
                                        user, mayMakePartial);
      if (failed(r))
        return failure();
      return *r;
    }
  }

  const View &view = info.getView(target);
  StringRef viewName = target.getViewName();

  // Pending sums the op needs but the value does not have yet: made locally
  // (the use is linear in the value, so any split of the sum will do).
  for (unsigned a = 0, e = target.getNumAxes(); a < e; ++a) {
    if (!target[a].isPartial() || from[a].isPartial())
      continue;
    if (!mayMakePartial)
      return user->emitOpError()
             << "needs an operand that is P(sum) over '" << view.getAxis(a).name
             << "' as its producer split it (per-rank counts), but it is "
             << str(from[a]);
    auto currentType = cast<RankedTensorType>(local.getType());
    if (from[a].isReplicate()) {
      // Zero on every rank but the group's first: no communication.
      local = spmd::ConvertOp::create(
          builder, loc, currentType, local, info.meshRef, viewName,
          {view.getAxis(a).name}, spmd::LocalTypeKind::Replicate,
          spmd::LocalTypeKind::Partial);
    } else {
      int64_t dim = from[a].getShardDim();
      SmallVector<unsigned, 4> stack = from.getShardAxes(dim);
      if (stack.back() != a)
        return user->emitOpError()
               << "cannot turn a value placed " << str(from)
               << " into a pending sum over '" << view.getAxis(a).name
               << "' locally: it is not the innermost axis splitting dim "
               << dim << "; unsupported";
      SmallVector<int64_t> padded(currentType.getShape());
      padded[dim] *= view.getAxisSize(a);
      local = spmd::ConvertOp::create(
          builder, loc, RankedTensorType::get(padded, elementType), local,
          info.meshRef, viewName, {view.getAxis(a).name},
          spmd::LocalTypeKind::Varying, spmd::LocalTypeKind::Partial, dim);
    }
    from.set(a, AxisPlacement::partial());
  }
  if (from == target)
    return local;

  llvm::Expected<placement::RedistributionPlan> plan =
      placement::planRedistribution(view, globalType.getShape(), from, target);
  if (!plan)
    return user->emitOpError()
           << "cannot redistribute an operand of type " << globalType
           << " from " << str(from) << " to " << str(target) << ": "
           << llvm::toString(plan.takeError());

  // Adjacent all-reduces of one kind become one collective over their axes.
  const std::vector<placement::PlanStep> &steps = plan->steps;
  for (size_t i = 0; i < steps.size();) {
    SmallVector<const placement::RedistStep *> group = {&steps[i].forward};
    size_t j = i + 1;
    if (steps[i].forward.kind == placement::CollectiveKind::AllReduce)
      while (j < steps.size() &&
             steps[j].forward.kind == placement::CollectiveKind::AllReduce &&
             toReduction(steps[j].forward) == toReduction(steps[i].forward)) {
        group.push_back(&steps[j].forward);
        ++j;
      }
    // Keep the view's axis order in the op.
    llvm::sort(group, [](const placement::RedistStep *x,
                         const placement::RedistStep *y) {
      return x->axis < y->axis;
    });
    local = emitStep(loc, local, elementType, viewName, group);
    i = j;
  }
  return local;
}

/// A rough cost of a plan: its communicating steps.
static unsigned countCommunication(const placement::RedistributionPlan &plan) {
  unsigned n = 0;
  for (const placement::PlanStep &step : plan.steps)
    n += isCommunication(step.forward.kind) ? 1 : 0;
  return n;
}

FailureOr<Value> FunctionPartitioner::getAs(Value global,
                                            const TensorPlacement &target,
                                            Operation *user,
                                            bool mayMakePartial) {
  RankedTensorType globalType = getGlobalType(global);
  SmallVector<Placed, 1> &known = versions[global];
  for (const Placed &v : known)
    if (v.placement == target)
      return v.local;

  // Start from the version whose plan communicates least (the first made
  // on a tie); versions on another view, and those needing a local P, are
  // only tried from the original.
  const Placed *best = &known.front();
  unsigned bestCost = ~0u;
  for (const Placed &v : known) {
    if (v.placement.getViewName() != target.getViewName())
      continue;
    bool needsPartial = false;
    for (unsigned a = 0, e = target.getNumAxes(); a < e; ++a)
      needsPartial |= target[a].isPartial() && !v.placement[a].isPartial();
    if (needsPartial)
      continue;
    llvm::Expected<placement::RedistributionPlan> plan =
        placement::planRedistribution(
            info.getView(target), globalType.getShape(), v.placement, target);
    if (!plan) {
      llvm::consumeError(plan.takeError());
      continue;
    }
    unsigned cost = countCommunication(*plan);
    if (cost < bestCost) {
      best = &v;
      bestCost = cost;
    }
  }
  Placed from = *best;
  FailureOr<Value> result = redistribute(from.local, globalType, from.placement,
                                         target, user, mayMakePartial);
  if (failed(result))
    return failure();
  versions[global].push_back(Placed{target, *result});
  return *result;
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<TensorPlacement, 2>>
FunctionPartitioner::getAnnotations(Operation *op) {
  auto attr = op->getAttrOfType<ArrayAttr>(kPlacementsAttr);
  if (!attr)
    return op->emitOpError()
           << "has no '" << kPlacementsAttr
           << "'; run moe-propagate-placements first (every op with results "
              "needs one placement per result)";
  if (attr.size() != op->getNumResults())
    return op->emitOpError()
           << "has " << attr.size() << " entries in '" << kPlacementsAttr
           << "' for " << op->getNumResults() << " results";
  SmallVector<TensorPlacement, 2> result;
  for (auto [i, entry] : llvm::enumerate(attr)) {
    auto placementAttr = dyn_cast<spmd::PlacementAttr>(entry);
    if (!placementAttr)
      return op->emitOpError() << "'" << kPlacementsAttr << "' entry #" << i
                               << " must be a #spmd.placement, got " << entry;
    auto type = cast<RankedTensorType>(op->getResult(i).getType());
    FailureOr<TensorPlacement> p =
        info.parsePlacement(placementAttr, type, [&] {
          return op->emitOpError() << "result #" << i << ": ";
        });
    if (failed(p))
      return failure();
    result.push_back(*p);
  }
  return result;
}

FailureOr<AxisMode>
FunctionPartitioner::chooseMode(Operation *op, const OpRule &rule,
                                ArrayRef<TensorPlacement> annotations,
                                const View &view, unsigned axis) {
  AxisMode mode;
  StringRef axisName = view.getAxis(axis).name;

  // 1. A factor the results are annotated as sharded on.
  std::optional<unsigned> resultFactor;
  bool wantPartial = false;
  for (auto [r, p] : llvm::enumerate(annotations)) {
    const AxisPlacement &ap = p[axis];
    if (ap.isPartial())
      wantPartial = true;
    if (!ap.isShard())
      continue;
    const DimFactors &factors = rule.results[r].dims[ap.getShardDim()];
    unsigned f = factors.front();
    if (factors.size() > 1) {
      // A compound dim: the factor an operand is split on, if any.
      for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
        AxisPlacement cp = placementOn(operand, view)[axis];
        if (i >= rule.operands.size() || !cp.isShard())
          continue;
        for (unsigned g : rule.operands[i].dims[cp.getShardDim()])
          if (llvm::is_contained(factors, g))
            f = g;
      }
    }
    if (resultFactor && *resultFactor != f)
      return op->emitOpError()
             << "results are annotated as sharded on different factors ('"
             << rule.factors[*resultFactor].name << "' and '"
             << rule.factors[f].name << "') over axis '" << axisName << "'";
    resultFactor = f;
  }
  if (resultFactor) {
    // A replicated-only factor cannot be split by the local kernel: compute
    // the results whole; consumers reshard them lazily.
    if (!rule.factors[*resultFactor].replicatedOnly) {
      mode.kind = AxisMode::Shard;
      mode.factor = *resultFactor;
    }
    return mode;
  }

  // 2. A reduction factor some operand is already split on: compute the
  //    partial sums locally; the results stay P until a consumer needs them.
  for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
    if (i >= rule.operands.size())
      break;
    AxisPlacement cp = placementOn(operand, view)[axis];
    if (!cp.isShard())
      continue;
    for (unsigned f : rule.operands[i].dims[cp.getShardDim()]) {
      if (!rule.factors[f].replicatedOnly && rule.isReductionFactor(f)) {
        mode.kind = AxisMode::Shard;
        mode.factor = f;
        return mode;
      }
    }
  }

  // 3. A pending sum flowing through a linear operand.
  if (rule.linearKind != LinearKind::None) {
    SmallVector<unsigned> partial, paddable;
    for (unsigned i : rule.linearOperands) {
      TensorPlacement cp = placementOn(op->getOperand(i), view);
      if (cp[axis].isPartial() &&
          cp[axis].getReduceKind() == placement::ReduceKind::Sum) {
        partial.push_back(i);
        continue;
      }
      if (!cp[axis].isShard())
        continue;
      int64_t dim = cp[axis].getShardDim();
      if (cp.getShardAxes(dim).back() != axis)
        continue;
      bool allReplicatedOnly =
          llvm::all_of(rule.operands[i].dims[dim], [&](unsigned f) {
            return rule.factors[f].replicatedOnly;
          });
      // Zero-padding a shard of a dim the kernel needs whole (the vocab of
      // an embedding table) beats gathering it; for a sum, any shard is
      // zero-padded when the result is wanted partial anyway.
      if (allReplicatedOnly ||
          (rule.linearKind == LinearKind::Joint && wantPartial))
        paddable.push_back(i);
    }
    if (rule.linearKind == LinearKind::Single) {
      if (!partial.empty() || !paddable.empty()) {
        mode.kind = AxisMode::Partial;
        mode.partialOperands = {!partial.empty() ? partial.front()
                                                 : paddable.front()};
        return mode;
      }
    } else if (!partial.empty() &&
               (wantPartial || partial.size() == rule.linearOperands.size())) {
      mode.kind = AxisMode::Partial;
      mode.partialOperands.assign(rule.linearOperands.begin(),
                                  rule.linearOperands.end());
      return mode;
    }
  }

  // 4. Everything whole on this axis.
  return mode;
}

LogicalResult FunctionPartitioner::partitionWithRule(Operation *op,
                                                     const OpRule &rule) {
  FailureOr<SmallVector<TensorPlacement, 2>> annotations = getAnnotations(op);
  if (failed(annotations))
    return failure();
  // An optimizer update is computed in its parameter's placement, which its
  // gradient must then match (the DP gradient all-reduce comes from here).
  if (isa<SGDStepOp, AdamWStepOp>(op)) {
    TensorPlacement paramPlacement = current(op->getOperand(0)).placement;
    for (auto [r, result] : llvm::enumerate(op->getResults()))
      (*annotations)[r] = paramPlacement;
  }

  StringRef viewName = spmd::kDenseView;
  if (!annotations->empty())
    viewName = annotations->front().getViewName();
  for (const TensorPlacement &p : *annotations)
    if (p.getViewName() != viewName)
      return op->emitOpError()
             << "results are placed on different views ('" << viewName
             << "' and '" << p.getViewName() << "')";
  const View &view = info.getView(viewName);

  // The operands' placements on the op's view (a value on another view is
  // read here only through its replicated axes, see redistribute()).
  SmallVector<AxisMode> modes;
  for (unsigned a = 0, e = view.getNumAxes(); a < e; ++a) {
    if (view.getAxisSize(a) == 1) {
      modes.push_back(AxisMode());
      continue;
    }
    // chooseMode reads operand placements on `a`; values on another view
    // count as replicated there.
    FailureOr<AxisMode> mode = chooseMode(op, rule, *annotations, view, a);
    if (failed(mode))
      return failure();
    modes.push_back(*mode);
  }

  // Whole heads only.
  std::optional<std::pair<int64_t, int64_t>> heads;
  if (rule.headFactor) {
    int64_t split = 1;
    SmallVector<StringRef> axes;
    for (auto [a, mode] : llvm::enumerate(modes))
      if (mode.kind == AxisMode::Shard && mode.factor == *rule.headFactor) {
        split *= view.getAxisSize(a);
        axes.push_back(view.getAxis(a).name);
      }
    auto numHeads = op->getAttrOfType<IntegerAttr>("num_heads").getInt();
    auto numKVHeads = op->getAttrOfType<IntegerAttr>("num_kv_heads").getInt();
    if (split > 1) {
      if (numHeads % split != 0 || numKVHeads % split != 0)
        return op->emitOpError()
               << "cannot split the heads over " << llvm::join(axes, ", ")
               << " (" << split << " ways): num_heads = " << numHeads
               << " and num_kv_heads = " << numKVHeads
               << " must both be divisible by " << split
               << " (attention is split in whole heads)";
      heads = {numHeads / split, numKVHeads / split};
    }
  }

  // Placements the op needs and produces.
  auto placeTensor = [&](const TensorRule &t, bool isResult,
                         std::optional<unsigned> operandIndex) {
    TensorPlacement p(view);
    for (auto [a, mode] : llvm::enumerate(modes)) {
      switch (mode.kind) {
      case AxisMode::Replicated:
        break;
      case AxisMode::Shard: {
        bool found = false;
        for (auto [d, factors] : llvm::enumerate(t.dims))
          if (llvm::is_contained(factors, mode.factor)) {
            p.set(a, AxisPlacement::shard(d));
            found = true;
            break;
          }
        if (found)
          break;
        if (llvm::is_contained(t.summedOver, mode.factor) ||
            (isResult && rule.isReductionFactor(mode.factor)) ||
            (isResult && !t.hasFactor(mode.factor)))
          p.set(a, AxisPlacement::partial());
        break;
      }
      case AxisMode::Partial:
        if (isResult || llvm::is_contained(mode.partialOperands,
                                           operandIndex.value_or(~0u)))
          p.set(a, AxisPlacement::partial());
        break;
      }
    }
    return p;
  };

  SmallVector<Value> localOperands;
  for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
    TensorPlacement required = placeTensor(rule.operands[i], false, i);
    bool linear = rule.isLinearOperand(i);
    FailureOr<Value> local = getAs(operand, required, op, linear);
    if (failed(local))
      return failure();
    localOperands.push_back(*local);
  }

  SmallVector<TensorPlacement, 2> resultPlacements;
  SmallVector<Type> resultTypes;
  for (auto [r, result] : llvm::enumerate(op->getResults())) {
    TensorPlacement p = placeTensor(rule.results[r], true, std::nullopt);
    FailureOr<RankedTensorType> type =
        info.getLocalType(cast<RankedTensorType>(result.getType()), p, [&] {
          return op->emitOpError() << "result #" << r << ": ";
        });
    if (failed(type))
      return failure();
    resultPlacements.push_back(p);
    resultTypes.push_back(*type);
  }

  // A loss over a split batch: the local kernel divides by the local token
  // count; the global one is wanted (docs/partition.md, "The loss").
  auto tokenScale = [&](Value targets, Value localTargets) {
    int64_t global = getGlobalType(targets).getNumElements();
    int64_t local =
        cast<RankedTensorType>(localTargets.getType()).getNumElements();
    return static_cast<double>(local) / static_cast<double>(global);
  };
  auto scale = [&](Value v, double factor) -> Value {
    auto type = cast<RankedTensorType>(v.getType());
    auto elementType = cast<FloatType>(type.getElementType());
    Value c = arith::ConstantOp::create(
        builder, op->getLoc(), type,
        DenseElementsAttr::get(type,
                               builder.getFloatAttr(elementType, factor)));
    return arith::MulFOp::create(builder, op->getLoc(), v, c);
  };
  double lossScale = 1.0;
  if (auto ce = dyn_cast<CrossEntropyOp>(op))
    lossScale = tokenScale(ce.getTargets(), localOperands[1]);
  if (auto ceGrad = dyn_cast<CrossEntropyGradOp>(op)) {
    double s = tokenScale(ceGrad.getTargets(), localOperands[1]);
    if (s != 1.0)
      localOperands[2] = scale(localOperands[2], s);
  }

  Operation *clone = cloneLocal(op, localOperands, resultTypes);
  if (heads) {
    clone->setAttr("num_heads", builder.getI64IntegerAttr(heads->first));
    clone->setAttr("num_kv_heads", builder.getI64IntegerAttr(heads->second));
  }
  for (auto [r, result] : llvm::enumerate(op->getResults())) {
    Value local = clone->getResult(r);
    if (lossScale != 1.0)
      local = scale(local, lossScale);
    define(result, resultPlacements[r], local);
  }
  return success();
}

LogicalResult FunctionPartitioner::partitionGlobalNorm(GlobalNormOp op) {
  Location loc = op.getLoc();
  // Each gradient whole on every axis (pending sums reduced, shards kept):
  // a version made for the optimizer already is reused.
  struct Group {
    std::string view;
    SmallVector<StringRef> axes;
    SmallVector<Value> locals;
  };
  SmallVector<Group> groups;
  for (Value grad : op.getGrads()) {
    std::optional<Placed> whole;
    for (const Placed &v : versions[grad])
      if (!hasPartial(v.placement)) {
        whole = v;
        break;
      }
    if (!whole) {
      TensorPlacement target = current(grad).placement;
      for (unsigned a = 0, e = target.getNumAxes(); a < e; ++a)
        if (target[a].isPartial())
          target.set(a, AxisPlacement::replicate());
      FailureOr<Value> local = getAs(grad, target, op, false);
      if (failed(local))
        return failure();
      whole = Placed{target, *local};
    }
    // The local sum of squares is a partial sum over exactly the axes that
    // split the gradient; never over axes where it is replicated.
    const View &view = info.getView(whole->placement);
    SmallVector<StringRef> axes;
    for (unsigned a = 0, e = view.getNumAxes(); a < e; ++a)
      if (whole->placement[a].isShard())
        axes.push_back(view.getAxis(a).name);
    std::string viewName = whole->placement.getViewName().str();
    if (axes.empty())
      viewName.clear();
    auto it = llvm::find_if(groups, [&](const Group &g) {
      return g.view == viewName && g.axes == axes;
    });
    if (it == groups.end()) {
      groups.push_back(Group{viewName, axes, {}});
      it = std::prev(groups.end());
    }
    it->locals.push_back(whole->local);
  }

  Value norm;
  if (groups.size() == 1 && groups.front().axes.empty()) {
    norm = GlobalNormOp::create(builder, loc, groups.front().locals);
  } else {
    Value sum;
    for (Group &g : groups) {
      Value n = GlobalNormOp::create(builder, loc, g.locals);
      Value squares = arith::MulFOp::create(builder, loc, n, n);
      if (!g.axes.empty())
        squares = spmd::AllReduceOp::create(
            builder, loc, squares, info.meshRef, g.view, g.axes,
            spmd::LocalTypeKind::Varying, spmd::LocalTypeKind::Replicate);
      sum =
          sum ? AddOp::create(builder, loc, sum, squares).getResult() : squares;
    }
    norm = math::SqrtOp::create(builder, loc, sum);
  }
  define(op.getResult(), info.replicated(), norm);
  return success();
}

LogicalResult FunctionPartitioner::partitionReturn(func::ReturnOp op) {
  SmallVector<Value> operands;
  for (auto [i, operand] : llvm::enumerate(op.getOperands())) {
    // Every value is an argument or a partitioned op's result: a tensor.
    RankedTensorType type = getGlobalType(operand);
    // A gradient result: its parameter's placement. The loss: as computed
    // (P over the axes that split the batch, reduced by whoever sums the
    // step). Anything else: the result's `spmd.placement`, else whole on
    // every rank (the reported loss and norm).
    TensorPlacement target = info.replicated();
    if (auto gradOf = func.getResultAttrOfType<FlatSymbolRefAttr>(
            i, MoEDialect::kGradOfAttrName)) {
      target = info.paramPlacements.lookup(gradOf.getValue());
    } else if (func.getResultAttr(i, MoEDialect::kLossAttrName)) {
      target = current(operand).placement;
    } else if (auto attr = func.getResultAttrOfType<spmd::PlacementAttr>(
                   i, kPlacementArgAttr)) {
      FailureOr<TensorPlacement> p = info.parsePlacement(attr, type, [&] {
        return func.emitOpError() << "result #" << i << ": ";
      });
      if (failed(p))
        return failure();
      target = *p;
    }
    FailureOr<Value> local = getAs(operand, target, op, false);
    if (failed(local))
      return failure();
    // A loss every rank of an axis computes whole is I there, not R: its
    // gradient was derived at global semantics (seeded once), so no rank's
    // copy may be summed with another's (DESIGN.md §4, the loss rule).
    SmallVector<StringRef> invariantAxes;
    if (func.getResultAttr(i, MoEDialect::kLossAttrName)) {
      const View &view = info.getView(target);
      for (unsigned a = 0, e = view.getNumAxes(); a < e; ++a)
        if (view.getAxisSize(a) > 1 && target[a].isReplicate())
          invariantAxes.push_back(view.getAxis(a).name);
      if (!invariantAxes.empty())
        *local = spmd::ConvertOp::create(
            builder, op.getLoc(), local->getType(), *local, info.meshRef,
            target.getViewName(), invariantAxes, spmd::LocalTypeKind::Replicate,
            spmd::LocalTypeKind::Invariant);
    }
    operands.push_back(*local);
    func.removeResultAttr(i, StringAttr::get(ctx, kPlacementArgAttr));
    func.setResultAttr(i, kLocalAttr,
                       info.getLocalTypeAttr(ctx, target, invariantAxes));
  }
  func::ReturnOp::create(builder, op.getLoc(), operands);
  return success();
}

LogicalResult FunctionPartitioner::partitionOp(Operation *op) {
  builder.setInsertionPoint(op);
  auto emitPlacementError = [&] { return op->emitOpError(); };

  if (auto get = dyn_cast<GetParamOp>(op)) {
    const TensorPlacement &p = info.paramPlacements.find(get.getName())->second;
    FailureOr<RankedTensorType> type = info.getLocalType(
        cast<RankedTensorType>(get.getType()), p, emitPlacementError);
    if (failed(type))
      return failure();
    Operation *clone = cloneLocal(op, {}, Type(*type));
    clone->setAttr(kLocalAttr, info.getLocalTypeAttr(ctx, p));
    define(get.getResult(), p, clone->getResult(0));
    return success();
  }
  if (auto get = dyn_cast<GetStateOp>(op)) {
    const TensorPlacement &p = info.statePlacements.find(get.getName())->second;
    FailureOr<RankedTensorType> type = info.getLocalType(
        cast<RankedTensorType>(get.getType()), p, emitPlacementError);
    if (failed(type))
      return failure();
    Operation *clone = cloneLocal(op, {}, Type(*type));
    define(get.getResult(), p, clone->getResult(0));
    return success();
  }
  if (isa<SetParamOp, SetStateOp>(op)) {
    StringRef name = isa<SetParamOp>(op) ? cast<SetParamOp>(op).getName()
                                         : cast<SetStateOp>(op).getName();
    const TensorPlacement &p = isa<SetParamOp>(op)
                                   ? info.paramPlacements.find(name)->second
                                   : info.statePlacements.find(name)->second;
    FailureOr<Value> value = getAs(op->getOperand(0), p, op, false);
    if (failed(value))
      return failure();
    cloneLocal(op, {*value}, {});
    return success();
  }
  if (auto fill = dyn_cast<FillOp>(op)) {
    FailureOr<SmallVector<TensorPlacement, 2>> annotations = getAnnotations(op);
    if (failed(annotations))
      return failure();
    // Zeros are a valid split of a zero sum; any other value is produced
    // whole (consumers that need a pending sum convert it locally).
    TensorPlacement p = annotations->front();
    if (fill.getValue().convertToDouble() != 0.0)
      for (unsigned a = 0, e = p.getNumAxes(); a < e; ++a)
        if (p[a].isPartial())
          p.set(a, AxisPlacement::replicate());
    FailureOr<RankedTensorType> type = info.getLocalType(
        cast<RankedTensorType>(fill.getType()), p, emitPlacementError);
    if (failed(type))
      return failure();
    Operation *clone = cloneLocal(op, {}, Type(*type));
    define(fill.getResult(), p, clone->getResult(0));
    return success();
  }
  if (auto norm = dyn_cast<GlobalNormOp>(op))
    return partitionGlobalNorm(norm);
  if (auto ret = dyn_cast<func::ReturnOp>(op))
    return partitionReturn(ret);

  std::optional<OpRule> rule = getPartitionRule(op);
  if (!rule)
    return op->emitOpError()
           << "has no sharding rule: moe-partition cannot compute it per rank";
  return partitionWithRule(op, *rule);
}

LogicalResult FunctionPartitioner::run() {
  if (!func.getBody().hasOneBlock())
    return func.emitOpError()
           << "has " << func.getBody().getBlocks().size()
           << " blocks: moe-partition handles straight-line functions only";
  Block &block = func.getBody().front();

  // Arguments: their placement (R without one), rewritten in place.
  for (BlockArgument arg : block.getArguments()) {
    unsigned i = arg.getArgNumber();
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type)
      return func.emitOpError() << "argument #" << i
                                << " is not a ranked tensor: cannot partition";
    TensorPlacement p = info.replicated();
    auto attr =
        func.getArgAttrOfType<spmd::PlacementAttr>(i, kPlacementArgAttr);
    if (attr) {
      FailureOr<TensorPlacement> parsed = info.parsePlacement(attr, type, [&] {
        return func.emitOpError() << "argument #" << i << ": ";
      });
      if (failed(parsed))
        return failure();
      p = *parsed;
    }
    FailureOr<RankedTensorType> local = info.getLocalType(type, p, [&] {
      return func.emitOpError() << "argument #" << i << ": ";
    });
    if (failed(local))
      return failure();
    argTypes[arg] = type;
    arg.setType(*local);
    define(arg, p, arg);
    // The driver feeds each rank its slice of a split argument: keep the
    // global type and placement next to the local type.
    func.removeArgAttr(i, StringAttr::get(ctx, kPlacementArgAttr));
    func.setArgAttr(i, kLocalAttr, info.getLocalTypeAttr(ctx, p));
    if (*local != type) {
      func.setArgAttr(i, kArgGlobalTypeAttr, TypeAttr::get(type));
      func.setArgAttr(i, kArgGlobalPlacementAttr, attr);
    }
  }

  SmallVector<Operation *> ops =
      llvm::map_to_vector(block, [](Operation &op) { return &op; });
  for (Operation *op : ops)
    if (failed(partitionOp(op)))
      return failure();
  for (Operation *op : llvm::reverse(ops))
    op->erase();

  func.setType(FunctionType::get(ctx, block.getArgumentTypes(),
                                 block.getTerminator()->getOperandTypes()));
  return success();
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {
struct MoEPartitionPass
    : moefold::moe::impl::MoEPartitionPassBase<MoEPartitionPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

/// True when the function carries placements (on an argument, a result or
/// an op).
static bool isAnnotated(func::FuncOp func) {
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
    if (func.getArgAttr(i, kPlacementArgAttr))
      return true;
  for (unsigned i = 0, e = func.getNumResults(); i < e; ++i)
    if (func.getResultAttr(i, kPlacementArgAttr))
      return true;
  WalkResult walk = func.walk([](Operation *op) {
    return op->hasAttr(kPlacementsAttr) ? WalkResult::interrupt()
                                        : WalkResult::advance();
  });
  return walk.wasInterrupted();
}

/// The parameter a state buffer made by moe-build-train-step belongs to.
static StringRef getOwningParam(StringRef state) {
  for (StringRef prefix : {"grad.", "adam_m.", "adam_v."})
    if (state.starts_with(prefix))
      return state.drop_front(prefix.size());
  return {};
}

void MoEPartitionPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();

  SmallVector<func::FuncOp> functions;
  for (auto func : module.getOps<func::FuncOp>())
    if (!func.isExternal() && isAnnotated(func))
      functions.push_back(func);
  if (functions.empty())
    return;

  // Parameters and states change type, so every function reading or
  // writing them must be partitioned too.
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal() || llvm::is_contained(functions, func))
      continue;
    WalkResult walk = func.walk([](Operation *op) {
      return isa<GetParamOp, SetParamOp, GetStateOp, SetStateOp>(op)
                 ? WalkResult::interrupt()
                 : WalkResult::advance();
    });
    if (walk.wasInterrupted()) {
      func.emitOpError()
          << "uses parameters or states but carries no placements; "
             "moe-partition gives parameters and states per-rank types, so "
             "every function using them must be annotated (run "
             "moe-propagate-placements on it) or removed";
      return signalPassFailure();
    }
  }

  // The mesh: the only spmd.mesh of the module.
  SmallVector<spmd::MeshOp> meshes =
      llvm::to_vector(module.getOps<spmd::MeshOp>());
  if (meshes.size() != 1) {
    module.emitError() << "moe-partition: expected exactly one 'spmd.mesh' in "
                          "the module, found "
                       << meshes.size();
    return signalPassFailure();
  }
  FailureOr<placement::MeshLayout> layout = spmd::getMeshLayout(meshes.front());
  if (failed(layout))
    return signalPassFailure();
  ModuleInfo info{meshes.front(),
                  FlatSymbolRefAttr::get(meshes.front().getSymNameAttr()),
                  std::move(*layout),
                  {},
                  {},
                  {}};

  // Declarations: their placements (R on the family's view without one).
  for (auto param : module.getOps<ParamOp>()) {
    TensorPlacement p =
        info.replicated(ParamOp::getViewForFamily(param.getFamily()));
    if (spmd::PlacementAttr attr = param.getPlacementAttr()) {
      FailureOr<TensorPlacement> parsed = info.parsePlacement(
          attr, param.getTensorType(), [&] { return param.emitOpError(); });
      if (failed(parsed))
        return signalPassFailure();
      p = *parsed;
    }
    if (param.getFamily() == Family::RoutedExpert && !isAllReplicated(p)) {
      param.emitOpError()
          << "is placed " << str(p)
          << ": moe-partition supports replicated routed experts only "
             "(ep = 1); expert parallelism is not supported yet";
      return signalPassFailure();
    }
    info.paramPlacements.insert({param.getSymName(), p});
  }
  for (auto state : module.getOps<StateOp>()) {
    TensorPlacement p = info.replicated();
    if (auto attr =
            state->getAttrOfType<spmd::PlacementAttr>(kPlacementArgAttr)) {
      FailureOr<TensorPlacement> parsed = info.parsePlacement(
          attr, state.getTensorType(), [&] { return state.emitOpError(); });
      if (failed(parsed))
        return signalPassFailure();
      p = *parsed;
      info.statePlacementAttrs[state.getSymName()] = attr;
    } else if (StringRef owner = getOwningParam(state.getSymName());
               !owner.empty() && info.paramPlacements.count(owner)) {
      // A state follows its parameter's placement.
      auto param = SymbolTable::lookupNearestSymbolFrom<ParamOp>(
          module, StringAttr::get(ctx, owner));
      p = info.paramPlacements.lookup(owner);
      if (spmd::PlacementAttr attr = param.getPlacementAttr())
        info.statePlacementAttrs[state.getSymName()] = attr;
    }
    info.statePlacements.insert({state.getSymName(), p});
  }

  for (func::FuncOp func : functions) {
    FunctionPartitioner partitioner(info, func);
    if (failed(partitioner.run()))
      return signalPassFailure();
  }

  // Declarations get local types; the global type stays for checkpoints
  // and the registry, which name global tensors.
  auto localize = [&](Operation *op, RankedTensorType type,
                      const TensorPlacement &p) -> LogicalResult {
    FailureOr<RankedTensorType> local =
        info.getLocalType(type, p, [&] { return op->emitOpError(); });
    if (failed(local))
      return failure();
    op->setAttr("type", TypeAttr::get(*local));
    op->setAttr(kGlobalTypeAttr, TypeAttr::get(type));
    return success();
  };
  for (auto param : module.getOps<ParamOp>())
    if (failed(localize(param, param.getTensorType(),
                        info.paramPlacements.find(param.getSymName())->second)))
      return signalPassFailure();
  for (auto state : module.getOps<StateOp>()) {
    const TensorPlacement &p =
        info.statePlacements.find(state.getSymName())->second;
    if (failed(localize(state, state.getTensorType(), p)))
      return signalPassFailure();
    state->removeAttr(kPlacementArgAttr);
    if (spmd::PlacementAttr attr =
            info.statePlacementAttrs.lookup(state.getSymName()))
      state->setAttr(kGlobalPlacementAttr, attr);
  }
}
