//===- Partition.cpp - global program to per-rank program -----------------===//
//
// Implements moe-partition (docs/partition.md, contract:
// docs/design/partitioning.md §4). Every function carrying placements is
// rewritten, op by op in program order, into the program one rank runs:
//
//  - every tensor gets its local (per-rank) type from its placement;
//  - each op is decided with the sharding rules shared with
//    moe-propagate-placements (moefold/Dialect/MoE/Analysis): from the
//    placements its operands actually have, decideSharding gives the
//    placement it needs each operand in and those of its results; every
//    operand is redistributed to what the op needs with the collectives of
//    the placement algebra's plan (lib/Placement/Redistribution.cpp);
//  - results whose reduction factor is sharded stay P and are reduced only
//    when (and where) a consumer needs them whole, once (lazy reduction);
//  - parameters and states get local types (`global_type` keeps the global
//    one); gradients reaching the optimizer are redistributed to their
//    parameter's placement, which is where the DP all-reduce appears.
//
// Where the local kernel differs from the global op (the vocabulary of an
// embedding, the token count of a cross-entropy, heads of attention, the
// norm of sharded gradients) the op is adapted here; a cross-entropy over
// logits split on the vocabulary is rewritten by VocabParallel.cpp.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/MoE/Transforms/Passes.h"

#include "ExpertParallel.h"
#include "VocabParallel.h"
#include "moefold/Dialect/MoE/Analysis/ShardingDecision.h"
#include "moefold/Dialect/MoE/Analysis/ShardingRules.h"
#include "moefold/Dialect/MoE/IR/MoEOps.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"
#include "moefold/Placement/LocalType.h"
#include "moefold/Placement/Redistribution.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"

namespace moefold::moe {
#define GEN_PASS_DEF_MOEPARTITIONPASS
#include "moefold/Dialect/MoE/Transforms/Passes.h.inc"
} // namespace moefold::moe

using namespace mlir;
using namespace moefold;
using namespace moefold::moe;
using placement::AxisPlacement;
using placement::TensorPlacement;
using placement::View;
using partition::Kinds;
using partition::Placed;

/// Function argument / result placement and local type.
static constexpr StringLiteral kPlacementArgAttr = "spmd.placement";
static constexpr StringLiteral kLocalAttr = "spmd.local";
/// What a partitioned declaration keeps of its global form.
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

/// The local types a placement implies: S -> V, R -> R, P -> P.
static Kinds kindsOf(const TensorPlacement &p) {
  Kinds kinds;
  for (unsigned a = 0, e = p.getNumAxes(); a < e; ++a)
    kinds.push_back(toKind(placement::getLocalType(p[a])));
  return kinds;
}

static spmd::ReductionKind toReduction(const placement::RedistStep &step) {
  if (step.reduce == placement::ReduceKind::Max)
    return spmd::ReductionKind::Max;
  return step.scaleDivisor > 1 ? spmd::ReductionKind::Avg
                               : spmd::ReductionKind::Sum;
}

/// The token count a cross-entropy (or its gradient) at global semantics
/// divides by: its `num_tokens`, else all of its targets.
static int64_t getNumTokens(Operation *op) {
  std::optional<uint64_t> n;
  if (auto ce = dyn_cast<CrossEntropyOp>(op))
    n = ce.getNumTokens();
  else if (auto grad = dyn_cast<CrossEntropyGradOp>(op))
    n = grad.getNumTokens();
  if (n)
    return static_cast<int64_t>(*n);
  return cast<RankedTensorType>(op->getOperand(1).getType()).getNumElements();
}

static bool isCommunication(placement::CollectiveKind kind) {
  return kind != placement::CollectiveKind::LocalSlice &&
         kind != placement::CollectiveKind::ZeroPad;
}

namespace {

//===----------------------------------------------------------------------===//
// Module-wide state
//===----------------------------------------------------------------------===//

/// The mesh, the shared placement context and the placements of the
/// module's declarations (computed before any type changes).
struct ModuleInfo {
  PlacementContext &ctx;
  FlatSymbolRefAttr meshRef;
  llvm::StringMap<TensorPlacement> paramPlacements;
  llvm::StringMap<TensorPlacement> statePlacements;
  /// Routed experts are split by expert over ep (ep > 1): the dispatch
  /// chains are partitioned by ExpertParallel (the folded dispatch).
  bool expertParallel = false;

  const View &getView(const TensorPlacement &p) const {
    return ctx.getView(p.getViewName());
  }
  TensorPlacement replicated(StringRef viewName = spmd::kDenseView) const {
    return ctx.getReplicated(viewName);
  }
  /// `#spmd.local` with `kinds` on every axis of `p`'s view. A value
  /// replicated on every rank (an expert weight when ep = 1) is typed on the
  /// dense view, where the activations it meets are typed.
  spmd::LocalTypeAttr
  getLocalTypeAttr(MLIRContext *context, const TensorPlacement &p,
                   ArrayRef<spmd::LocalTypeKind> kinds) const {
    if (p.getViewName() != spmd::kDenseView &&
        llvm::all_of(kinds, [](spmd::LocalTypeKind k) {
          return k == spmd::LocalTypeKind::Replicate;
        })) {
      TensorPlacement dense = replicated(spmd::kDenseView);
      return getLocalTypeAttr(context, dense, kindsOf(dense));
    }
    SmallVector<StringAttr> axes;
    for (unsigned a = 0, e = p.getNumAxes(); a < e; ++a)
      axes.push_back(StringAttr::get(context, p.getAxisName(a)));
    return spmd::LocalTypeAttr::get(context, meshRef,
                                    StringAttr::get(context, p.getViewName()),
                                    axes, kinds);
  }
  spmd::LocalTypeAttr getLocalTypeAttr(MLIRContext *context,
                                       const TensorPlacement &p) const {
    return getLocalTypeAttr(context, p, kindsOf(p));
  }
  /// `attr` as a normalised placement checked against `type`.
  FailureOr<TensorPlacement>
  parsePlacement(spmd::PlacementAttr attr, RankedTensorType type,
                 function_ref<InFlightDiagnostic()> emitError) const {
    FailureOr<TensorPlacement> p = ctx.fromAttr(attr, emitError);
    if (failed(p))
      return failure();
    if (llvm::Error err =
            placement::verifyPlacement(getView(*p), type.getShape(), *p))
      return emitError() << "placement " << attr << " does not fit " << type
                         << ": " << llvm::toString(std::move(err));
    return *p;
  }
  /// The per-rank type of a global tensor of type `type` placed `p`.
  /// Placements come from verified attributes or from decisions that check
  /// divisibility, so this does not fail on valid input.
  RankedTensorType getLocalType(RankedTensorType type,
                                const TensorPlacement &p) const {
    auto shape = placement::getLocalShape(getView(p), type.getShape(), p);
    if (!shape)
      llvm::report_fatal_error(llvm::Twine("moe-partition: ") +
                               llvm::toString(shape.takeError()));
    return RankedTensorType::get(*shape, type.getElementType());
  }
};

//===----------------------------------------------------------------------===//
// One function
//===----------------------------------------------------------------------===//

/// (Placed, a global value's per-rank version, is in ExpertParallel.h.)
class FunctionPartitioner : partition::PartitionHost {
public:
  FunctionPartitioner(const ModuleInfo &info, func::FuncOp func)
      : info(info), func(func), builder(func.getContext()),
        ctx(func.getContext()), expertParallel(*this) {}

  LogicalResult run();

private:
  // -- values ---------------------------------------------------------------
  /// The version of `global` placed `target`, redistributing (at the
  /// builder's insertion point) from the cheapest version made so far.
  /// `mayMakePartial`: a missing P may be produced by a local conversion
  /// (R -> P, or zero-padding a shard), valid for a linear use.
  FailureOr<Placed> getAs(Value global, const TensorPlacement &target,
                          Operation *user, bool mayMakePartial) override;
  FailureOr<Placed> redistribute(Placed from, RankedTensorType globalType,
                                 const TensorPlacement &target, Operation *user,
                                 bool mayMakePartial);
  /// Emits one step (merged over the axes of `steps`); `src` is the local
  /// type the value has on those axes.
  Value emitStep(Location loc, Value input, Type elementType, StringRef view,
                 ArrayRef<const placement::RedistStep *> steps,
                 spmd::LocalTypeKind src);
  void define(Value global, Placed placed) override;
  const Placed &current(Value global) override {
    return values.find(global)->second;
  }
  OpBuilder &getBuilder() override { return builder; }
  PlacementContext &getPlacementContext() override { return info.ctx; }
  FlatSymbolRefAttr getMesh() override { return info.meshRef; }
  Kinds kindsOf(const TensorPlacement &p) override { return ::kindsOf(p); }
  /// The global type of a value of the original program.
  RankedTensorType getGlobalType(Value global) {
    return cast<RankedTensorType>(global.getType());
  }

  // -- ops ------------------------------------------------------------------
  LogicalResult partitionOp(Operation *op);
  LogicalResult partitionWithRule(Operation *op);
  LogicalResult partitionGlobalNorm(GlobalNormOp op);
  LogicalResult partitionReturn(func::ReturnOp op);
  /// The placement a result of `op` really has where it differs from the
  /// decision's.
  FailureOr<TensorPlacement> adjustResult(Operation *op,
                                          const ShardingRule &rule,
                                          const OpSharding &sharding,
                                          unsigned result);
  /// Clones `op` with `operands` and result types `types`, minus the global
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
  /// The folded dispatch (ep > 1) and its side table.
  partition::ExpertParallel expertParallel;
  /// Reduced vocabulary statistics per local logits (VocabParallel.h).
  VocabStatsCache vocabStats;
};

} // namespace

void FunctionPartitioner::define(Value global, Placed placed) {
  values.insert_or_assign(global, placed);
  versions[global].push_back(std::move(placed));
}

Operation *FunctionPartitioner::cloneLocal(Operation *op, ValueRange operands,
                                           ArrayRef<Type> types) {
  return partition::cloneWith(builder, op, operands, types);
}

//===----------------------------------------------------------------------===//
// Redistribution
//===----------------------------------------------------------------------===//

Value FunctionPartitioner::emitStep(
    Location loc, Value input, Type elementType, StringRef view,
    ArrayRef<const placement::RedistStep *> steps, spmd::LocalTypeKind src) {
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
                                     axes, src, K::Replicate,
                                     toReduction(step));
  case CollectiveKind::ReduceScatter: {
    // reduce_scatter takes a P operand; a pending sum this rank made itself
    // is typed V (see the local-type notes in docs/partition.md), so it is
    // relabelled P first, as before an all_reduce of mixed pending sums.
    if (src == K::Varying)
      input = spmd::ReinterpretOp::create(builder, loc, input, info.meshRef,
                                          view, axes, K::Varying, K::Partial);
    return spmd::ReduceScatterOp::create(
        builder, loc, dstType, input, info.meshRef, view, axes, K::Partial,
        K::Varying, step.dstDim, toReduction(step));
  }
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

FailureOr<Placed>
FunctionPartitioner::redistribute(Placed from, RankedTensorType globalType,
                                  const TensorPlacement &target,
                                  Operation *user, bool mayMakePartial) {
  Location loc = user->getLoc();
  Type elementType = globalType.getElementType();

  // Across views only a value replicated on every axis that splits
  // anything changes hands (ep = 1: the expert view's placements of
  // replicated experts are trivially R).
  if (from.placement.getViewName() != target.getViewName()) {
    if (!isAllReplicated(from.placement)) {
      if (!isAllReplicated(target))
        return user->emitOpError()
               << "needs a value placed " << str(target) << " on the '"
               << target.getViewName() << "' view, but it is placed "
               << str(from.placement) << " on the '"
               << from.placement.getViewName()
               << "' view; moe-partition moves values between views only "
                  "when they are replicated (routed tokens cross to the "
                  "expert view through the folded dispatch, not by "
                  "redistribution)";
      FailureOr<Placed> whole = redistribute(
          from, globalType, info.replicated(from.placement.getViewName()), user,
          mayMakePartial);
      if (failed(whole))
        return failure();
      from = *whole;
    }
    from.placement = info.replicated(target.getViewName());
    from.kinds = kindsOf(from.placement);
  }

  const View &view = info.getView(target);
  StringRef viewName = target.getViewName();
  Value local = from.local;
  TensorPlacement placement = from.placement;
  Kinds kinds = from.kinds;

  // Pending sums the op needs but the value does not have yet: made locally
  // (the use is linear in the value, so any split of the sum will do).
  // A replicated value is kept on one rank of the group (spmd.convert
  // R -> P); a shard is zero-padded to the extent of the axes made partial
  // (spmd.convert V -> P), which must be the innermost ones splitting its
  // dim (the embedding asks for the whole stack).
  SmallVector<StringRef> toPartial;
  for (unsigned a = 0, e = target.getNumAxes(); a < e; ++a) {
    if (!target[a].isPartial() || placement[a].isPartial())
      continue;
    if (!mayMakePartial)
      return user->emitOpError()
             << "needs an operand that is P(sum) over '" << view.getAxis(a).name
             << "' as its producer split it (per-rank counts), but it is "
             << str(placement[a]);
    if (placement[a].isReplicate())
      toPartial.push_back(view.getAxis(a).name);
  }
  if (!toPartial.empty()) {
    local = spmd::ConvertOp::create(
        builder, loc, local.getType(), local, info.meshRef, viewName, toPartial,
        spmd::LocalTypeKind::Replicate, spmd::LocalTypeKind::Partial);
    for (StringRef axis : toPartial) {
      unsigned a = *view.findAxis(axis);
      placement.set(a, AxisPlacement::partial());
      kinds[a] = spmd::LocalTypeKind::Partial;
    }
  }
  for (int64_t dim = 0, rank = globalType.getRank(); dim < rank; ++dim) {
    SmallVector<unsigned, 4> stack = placement.getShardAxes(dim);
    SmallVector<StringRef> axes;
    int64_t factor = 1;
    for (unsigned a : stack)
      if (target[a].isPartial()) {
        axes.push_back(view.getAxis(a).name);
        factor *= view.getAxisSize(a);
      }
    if (axes.empty())
      continue;
    assert(llvm::all_of(ArrayRef(stack).take_back(axes.size()),
                        [&](unsigned a) { return target[a].isPartial(); }) &&
           "only the innermost axes of a dim are zero-padded");
    auto currentType = cast<RankedTensorType>(local.getType());
    SmallVector<int64_t> padded(currentType.getShape());
    padded[dim] *= factor;
    local = spmd::ConvertOp::create(
        builder, loc, RankedTensorType::get(padded, elementType), local,
        info.meshRef, viewName, axes, spmd::LocalTypeKind::Varying,
        spmd::LocalTypeKind::Partial, dim);
    for (unsigned a : stack)
      if (target[a].isPartial()) {
        placement.set(a, AxisPlacement::partial());
        kinds[a] = spmd::LocalTypeKind::Partial;
      }
  }
  if (placement == target)
    return Placed{target, local, kinds};

  llvm::Expected<placement::RedistributionPlan> plan =
      placement::planRedistribution(view, globalType.getShape(), placement,
                                    target);
  if (!plan)
    return user->emitOpError()
           << "cannot redistribute an operand of type " << globalType
           << " from " << str(placement) << " to " << str(target) << ": "
           << llvm::toString(plan.takeError());

  // Adjacent all-reduces of one kind (and one local type) become one
  // collective over their axes.
  const std::vector<placement::PlanStep> &steps = plan->steps;
  for (size_t i = 0; i < steps.size();) {
    const placement::RedistStep &first = steps[i].forward;
    SmallVector<const placement::RedistStep *> group = {&first};
    size_t j = i + 1;
    if (first.kind == placement::CollectiveKind::AllReduce)
      while (j < steps.size() &&
             steps[j].forward.kind == placement::CollectiveKind::AllReduce &&
             toReduction(steps[j].forward) == toReduction(first) &&
             kinds[steps[j].forward.axis] == kinds[first.axis]) {
        group.push_back(&steps[j].forward);
        ++j;
      }
    // Keep the view's axis order in the op.
    llvm::sort(group, [](const placement::RedistStep *x,
                         const placement::RedistStep *y) {
      return x->axis < y->axis;
    });
    local =
        emitStep(loc, local, elementType, viewName, group, kinds[first.axis]);
    for (const placement::RedistStep *step : group)
      kinds[step->axis] = toKind(step->dstType);
    i = j;
  }
  return Placed{target, local, kinds};
}

/// A rough cost of a plan: its communicating steps.
static unsigned countCommunication(const placement::RedistributionPlan &plan) {
  unsigned n = 0;
  for (const placement::PlanStep &step : plan.steps)
    n += isCommunication(step.forward.kind) ? 1 : 0;
  return n;
}

FailureOr<Placed> FunctionPartitioner::getAs(Value global,
                                             const TensorPlacement &target,
                                             Operation *user,
                                             bool mayMakePartial) {
  RankedTensorType globalType = getGlobalType(global);
  SmallVector<Placed, 1> &known = versions[global];
  // A version as seen on the target's view: its own placement there, or R
  // when it is whole on every rank (which is whole on any view).
  auto onTargetView = [&](const Placed &v) -> std::optional<TensorPlacement> {
    if (v.placement.getViewName() == target.getViewName())
      return v.placement;
    if (isAllReplicated(v.placement))
      return info.replicated(target.getViewName());
    return std::nullopt;
  };
  for (const Placed &v : known)
    if (onTargetView(v) == target) {
      if (v.placement.getViewName() == target.getViewName())
        return v;
      return Placed{target, v.local, kindsOf(target)};
    }

  // Start from the version whose plan communicates least (the first made
  // on a tie); versions needing a local P are only tried from the original.
  size_t best = 0;
  unsigned bestCost = ~0u;
  for (auto [index, v] : llvm::enumerate(known)) {
    std::optional<TensorPlacement> from = onTargetView(v);
    if (!from)
      continue;
    bool needsPartial = false;
    for (unsigned a = 0, e = target.getNumAxes(); a < e; ++a)
      needsPartial |= target[a].isPartial() && !(*from)[a].isPartial();
    if (needsPartial)
      continue;
    llvm::Expected<placement::RedistributionPlan> plan =
        placement::planRedistribution(info.getView(target),
                                      globalType.getShape(), *from, target);
    if (!plan) {
      llvm::consumeError(plan.takeError());
      continue;
    }
    unsigned cost = countCommunication(*plan);
    if (cost < bestCost) {
      best = index;
      bestCost = cost;
    }
  }
  Placed from = known[best];
  FailureOr<Placed> result =
      redistribute(from, globalType, target, user, mayMakePartial);
  if (failed(result))
    return failure();
  versions[global].push_back(*result);
  return *result;
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

FailureOr<TensorPlacement>
FunctionPartitioner::adjustResult(Operation *op, const ShardingRule &rule,
                                  const OpSharding &sharding, unsigned result) {
  const TensorPlacement &decided = *sharding.results[result];
  if (!rule.isCrossViewPartial(result))
    return decided;
  // An expert weight gradient is a sum over the token rows the rank holds.
  // Rows split on the dense view make it partial over exactly those dense
  // axes; on the others (tp, whose lanes hold the same rows when no folded
  // dispatch split them) it is complete. The decision's "P over every free
  // axis of the expert view" assumes a folded dispatch processed every row
  // once; reducing over edp without one would count each row tp times.
  TensorPlacement truth = info.replicated(spmd::kDenseView);
  for (unsigned f = 0, e = rule.getNumFactors(); f < e; ++f) {
    bool reduces = rule.reducesInto(f, result);
    for (const auto &[viewName, axis] : sharding.factorAxes[f]) {
      if (reduces && viewName == spmd::kDenseView) {
        truth.set(axis, AxisPlacement::partial());
        continue;
      }
      return op->emitOpError()
             << "result #" << result << " is split on the " << viewName
             << " view (factor '" << rule.getFactor(f).name
             << "'): routed experts must be replicated or split by expert "
                "over ep (the folded dispatch)";
    }
  }
  return truth;
}

LogicalResult FunctionPartitioner::partitionWithRule(Operation *op) {
  FailureOr<ShardingRule> rule = getShardingRule(op);
  if (failed(rule))
    return op->emitOpError()
           << "has no sharding rule: moe-partition cannot compute it per rank";

  // Decide from the placements the operands really have (which may still be
  // pending sums where propagation expected them reduced).
  SmallVector<TensorPlacement, 4> storage;
  storage.reserve(op->getNumOperands());
  SmallVector<OperandPlacement, 4> operands(op->getNumOperands());
  for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
    if (!rule->getOperand(i).isTensor)
      continue;
    storage.push_back(current(operand).placement);
    operands[i].placement = &storage.back();
  }
  FailureOr<OpSharding> sharding =
      decideSharding(op, *rule, info.ctx, operands);
  if (failed(sharding))
    return failure();

  // A cross-entropy over logits split on the vocabulary: vocab-parallel
  // (VocabParallel.cpp) when one axis splits it; over several axes the
  // logits are gathered there first and the op runs on whole rows.
  std::optional<VocabShard> vocab;
  SmallVector<unsigned, 2> vocabAxes;
  if (isa<CrossEntropyOp, CrossEntropyGradOp>(op)) {
    unsigned v = rule->getOperand(0).dims.back().front();
    for (const auto &[viewName, axis] : sharding->factorAxes[v])
      if (info.ctx.getView(viewName).getAxisSize(axis) > 1)
        vocabAxes.push_back(axis);
    if (vocabAxes.size() == 1) {
      const TensorPlacement &p = *sharding->operands[0];
      RankedTensorType logits = getGlobalType(op->getOperand(0));
      vocab = VocabShard{info.meshRef,
                         p.getViewName(),
                         info.getView(p).getAxis(vocabAxes[0]).name,
                         info.getView(p).getAxisSize(vocabAxes[0]),
                         logits.getShape().back(), getNumTokens(op)};
    }
  }
  bool gatherVocab = vocabAxes.size() > 1;

  SmallVector<Value> localOperands;
  SmallVector<Placed, 4> placedOperands;
  for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
    TensorPlacement needed = *sharding->operands[i];
    bool linear = false;
    // The embedding kernel looks rows up by global token id, so a
    // vocab-split table is zero-padded back to the full vocabulary
    // (spmd.convert V -> P, no communication): the lookup is linear in the
    // table and its result is the pending sum the decision expects.
    if (isa<EmbeddingOp>(op) && i == 0) {
      for (unsigned a = 0, e = needed.getNumAxes(); a < e; ++a)
        if (needed[a].isShardOf(0))
          needed.set(a, AxisPlacement::partial());
      linear = true;
    }
    if (gatherVocab && i == 0)
      for (unsigned a : vocabAxes)
        needed.set(a, AxisPlacement::replicate());
    FailureOr<Placed> local = getAs(operand, needed, op, linear);
    if (failed(local))
      return failure();
    localOperands.push_back(local->local);
    placedOperands.push_back(*local);
  }

  // Pending sums kept together (a sum of a vocab-parallel embedding and a
  // row-parallel projection): one that came in as P and one the producer
  // made from split operands (V) are the same kind of value, a share of a
  // sum; the V one is said to be P (spmd.reinterpret V -> P) so that the
  // local type rules, which do not add P to V, see what the math does.
  unsigned numAxes = placedOperands.empty()
                         ? 0
                         : placedOperands.front().placement.getNumAxes();
  for (unsigned a = 0; a < numAxes; ++a) {
    auto keepsP = [&](const Placed &o, spmd::LocalTypeKind kind) {
      return o.placement.getViewName() ==
                 placedOperands.front().placement.getViewName() &&
             o.placement[a].isPartial() && o.kinds[a] == kind;
    };
    if (!llvm::any_of(placedOperands, [&](const Placed &o) {
          return keepsP(o, spmd::LocalTypeKind::Partial);
        }))
      continue;
    for (auto [i, o] : llvm::enumerate(placedOperands)) {
      if (!keepsP(o, spmd::LocalTypeKind::Varying))
        continue;
      o.local = spmd::ReinterpretOp::create(
          builder, op->getLoc(), o.local, info.meshRef,
          o.placement.getViewName(),
          {info.getView(o.placement).getAxis(a).name},
          spmd::LocalTypeKind::Varying, spmd::LocalTypeKind::Partial);
      o.kinds[a] = spmd::LocalTypeKind::Partial;
      localOperands[i] = o.local;
    }
  }

  SmallVector<TensorPlacement, 2> resultPlacements;
  SmallVector<Type> resultTypes;
  for (auto [r, result] : llvm::enumerate(op->getResults())) {
    FailureOr<TensorPlacement> p = adjustResult(op, *rule, *sharding, r);
    if (failed(p))
      return failure();
    if (gatherVocab)
      for (unsigned a : vocabAxes)
        if (p->getNumAxes() > a && (*p)[a].isShard())
          p->set(a, AxisPlacement::replicate());
    resultTypes.push_back(
        info.getLocalType(cast<RankedTensorType>(result.getType()), *p));
    resultPlacements.push_back(*p);
  }

  SmallVector<Value> localResults;
  if (vocab) {
    localResults.push_back(emitVocabParallelCrossEntropy(
        builder, op, *vocab, localOperands, vocabStats));
  } else {
    Operation *clone = cloneLocal(op, localOperands, resultTypes);
    // Whole units (attention heads): the local op counts this rank's.
    for (auto [f, factor] : llvm::enumerate(rule->getFactors())) {
      int64_t split = 1;
      for (const auto &[viewName, axis] : sharding->factorAxes[f])
        split *= info.ctx.getView(viewName).getAxisSize(axis);
      if (split == 1)
        continue;
      for (const WholeUnitConstraint &unit : factor.wholeUnits)
        clone->setAttr(unit.countName,
                       builder.getI64IntegerAttr(unit.count / split));
    }
    // A loss over a split batch is normalised by the global token count,
    // not the local one (docs/partition.md, "The loss").
    if (isa<CrossEntropyOp, CrossEntropyGradOp>(op)) {
      int64_t global = getNumTokens(op);
      if (cast<RankedTensorType>(localOperands[1].getType())
              .getNumElements() != global)
        clone->setAttr("num_tokens", builder.getI64IntegerAttr(global));
    }
    llvm::append_range(localResults, clone->getResults());
  }
  for (auto [r, result] : llvm::enumerate(op->getResults())) {
    Value local = localResults[r];
    // A pending sum is P where an operand brought one in, V where the op
    // made it from split (or replicated) operands.
    const TensorPlacement &p = resultPlacements[r];
    Kinds kinds = kindsOf(p);
    for (unsigned a = 0, e = p.getNumAxes(); a < e; ++a) {
      if (!p[a].isPartial())
        continue;
      bool cameIn = llvm::any_of(placedOperands, [&](const Placed &o) {
        return o.placement.getViewName() == p.getViewName() &&
               o.kinds[a] == spmd::LocalTypeKind::Partial;
      });
      kinds[a] =
          cameIn ? spmd::LocalTypeKind::Partial : spmd::LocalTypeKind::Varying;
    }
    define(result, Placed{p, local, kinds});
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
      FailureOr<Placed> local = getAs(grad, target, op, false);
      if (failed(local))
        return failure();
      whole = *local;
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
  TensorPlacement whole = info.replicated();
  define(op.getResult(), Placed{whole, norm, kindsOf(whole)});
  return success();
}

LogicalResult FunctionPartitioner::partitionReturn(func::ReturnOp op) {
  SmallVector<Value> operands;
  for (auto [i, operand] : llvm::enumerate(op.getOperands())) {
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
    FailureOr<Placed> placed = getAs(operand, target, op, false);
    if (failed(placed))
      return failure();
    Value local = placed->local;
    Kinds kinds = placed->kinds;
    if (func.getResultAttr(i, MoEDialect::kLossAttrName)) {
      // This rank's share of the loss, computed from its own tokens (V),
      // is a share of the global sum: say so (spmd.reinterpret V -> P, the
      // local type rules' idiom for a per-rank loss). A loss every rank of
      // an axis computes whole is I there, not R: its gradient was derived
      // at global semantics (seeded once), so no rank's copy may be summed
      // with another's (DESIGN.md §4, the loss rule).
      const View &view = info.getView(target);
      SmallVector<StringRef> shares, invariant;
      for (unsigned a = 0, e = view.getNumAxes(); a < e; ++a) {
        if (view.getAxisSize(a) == 1)
          continue;
        if (kinds[a] == spmd::LocalTypeKind::Varying) {
          shares.push_back(view.getAxis(a).name);
          kinds[a] = spmd::LocalTypeKind::Partial;
        } else if (kinds[a] == spmd::LocalTypeKind::Replicate) {
          invariant.push_back(view.getAxis(a).name);
          kinds[a] = spmd::LocalTypeKind::Invariant;
        }
      }
      if (!shares.empty())
        local = spmd::ReinterpretOp::create(
            builder, op.getLoc(), local, info.meshRef, target.getViewName(),
            shares, spmd::LocalTypeKind::Varying, spmd::LocalTypeKind::Partial);
      if (!invariant.empty())
        local = spmd::ConvertOp::create(
            builder, op.getLoc(), local.getType(), local, info.meshRef,
            target.getViewName(), invariant, spmd::LocalTypeKind::Replicate,
            spmd::LocalTypeKind::Invariant);
    }
    operands.push_back(local);
    func.removeResultAttr(i, StringAttr::get(ctx, kPlacementArgAttr));
    func.setResultAttr(i, kLocalAttr,
                       info.getLocalTypeAttr(ctx, target, kinds));
  }
  func::ReturnOp::create(builder, op.getLoc(), operands);
  return success();
}

LogicalResult FunctionPartitioner::partitionOp(Operation *op) {
  builder.setInsertionPoint(op);

  // Expert parallelism: the dispatch chains (ExpertParallel.cpp).
  if (info.expertParallel) {
    if (expertParallel.handles(op))
      return expertParallel.partition(op);
    if (failed(expertParallel.checkUses(op)))
      return failure();
  }

  // Reads and writes of declared storage: the declaration's placement.
  auto declared = [&](StringRef name, bool isParam) -> const TensorPlacement & {
    return isParam ? info.paramPlacements.find(name)->second
                   : info.statePlacements.find(name)->second;
  };
  if (isa<GetParamOp, GetStateOp>(op)) {
    bool isParam = isa<GetParamOp>(op);
    StringRef name = isParam ? cast<GetParamOp>(op).getName()
                             : cast<GetStateOp>(op).getName();
    const TensorPlacement &p = declared(name, isParam);
    Value result = op->getResult(0);
    Operation *clone =
        cloneLocal(op, {}, Type(info.getLocalType(getGlobalType(result), p)));
    // A parameter read has a gradient: the type checker needs its type.
    if (isParam)
      clone->setAttr(kLocalAttr, info.getLocalTypeAttr(ctx, p));
    define(result, Placed{p, clone->getResult(0), kindsOf(p)});
    return success();
  }
  if (isa<SetParamOp, SetStateOp>(op)) {
    bool isParam = isa<SetParamOp>(op);
    StringRef name = isParam ? cast<SetParamOp>(op).getName()
                             : cast<SetStateOp>(op).getName();
    FailureOr<Placed> value =
        getAs(op->getOperand(0), declared(name, isParam), op, false);
    if (failed(value))
      return failure();
    cloneLocal(op, {value->local}, {});
    return success();
  }
  if (auto fill = dyn_cast<FillOp>(op)) {
    // The same constant on every rank.
    TensorPlacement p = info.replicated();
    Operation *clone =
        cloneLocal(op, {}, Type(info.getLocalType(fill.getType(), p)));
    define(fill.getResult(), Placed{p, clone->getResult(0), kindsOf(p)});
    return success();
  }
  if (auto norm = dyn_cast<GlobalNormOp>(op))
    return partitionGlobalNorm(norm);
  if (auto ret = dyn_cast<func::ReturnOp>(op))
    return partitionReturn(ret);
  return partitionWithRule(op);
}

LogicalResult FunctionPartitioner::run() {
  if (!func.getBody().hasOneBlock())
    return func.emitOpError()
           << "has " << func.getBody().getBlocks().size()
           << " blocks: moe-partition handles straight-line functions only";
  Block &block = func.getBody().front();
  unsigned numArgs = block.getNumArguments();

  // Arguments: their placement (R without one). The local arguments are
  // appended and replace the global ones at the end, so that the original
  // program stays intact (and typed) while it is read.
  SmallVector<DictionaryAttr> argAttrs;
  for (unsigned i = 0; i < numArgs; ++i) {
    BlockArgument arg = block.getArgument(i);
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
    RankedTensorType local = info.getLocalType(type, p);
    define(arg, Placed{p, block.addArgument(local, arg.getLoc()), kindsOf(p)});
    // The driver feeds each rank its slice of a split argument: keep the
    // global type and placement next to the local type.
    NamedAttrList attrs(func.getArgAttrDict(i));
    attrs.erase(kPlacementArgAttr);
    attrs.set(kLocalAttr, info.getLocalTypeAttr(ctx, p));
    if (local != type) {
      attrs.set(kArgGlobalTypeAttr, TypeAttr::get(type));
      attrs.set(kArgGlobalPlacementAttr, attr);
    }
    argAttrs.push_back(attrs.getDictionary(ctx));
  }

  SmallVector<Operation *> ops =
      llvm::map_to_vector(block, [](Operation &op) { return &op; });
  for (Operation *op : ops)
    if (failed(partitionOp(op)))
      return failure();
  for (Operation *op : llvm::reverse(ops))
    op->erase();
  llvm::BitVector globalArgs(block.getNumArguments());
  globalArgs.set(0, numArgs);
  block.eraseArguments(globalArgs);

  func.setType(FunctionType::get(ctx, block.getArgumentTypes(),
                                 block.getTerminator()->getOperandTypes()));
  func.setAllArgAttrs(argAttrs);
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
    return op->hasAttr(kPlacementsAttrName) ? WalkResult::interrupt()
                                            : WalkResult::advance();
  });
  return walk.wasInterrupted();
}

void MoEPartitionPass::runOnOperation() {
  ModuleOp module = getOperation();

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
  spmd::MeshOp mesh = meshes.front();
  FailureOr<std::unique_ptr<PlacementContext>> context =
      PlacementContext::create(module, mesh);
  if (failed(context))
    return signalPassFailure();
  ModuleInfo info{
      **context, FlatSymbolRefAttr::get(mesh.getSymNameAttr()), {}, {}};

  // Declarations: their placements (a state follows its parameter's),
  // read before any type changes.
  for (auto param : module.getOps<ParamOp>()) {
    FailureOr<TensorPlacement> p = info.ctx.getParamPlacement(param);
    if (failed(p))
      return signalPassFailure();
    if (param.getFamily() == Family::RoutedExpert && !isAllReplicated(*p)) {
      // Expert parallelism: split by expert over ep (the folded dispatch)
      // and, with etp = tp, within each expert on its hidden units F over
      // etp (dim 2 of w_gate/w_up [E, H, F], dim 1 of w_down [E, F, H]; the
      // op that uses a weight checks which), whole elsewhere.
      const View &view = info.getView(*p);
      bool byExpert = p->getViewName() == spmd::kExpertView;
      for (unsigned a = 0, e = view.getNumAxes(); a < e && byExpert; ++a) {
        StringRef name = view.getAxis(a).name;
        const AxisPlacement &ap = (*p)[a];
        byExpert = name == "ep"    ? ap.isShardOf(0)
                   : name == "etp" ? view.getAxisSize(a) == 1 ||
                                         ap.isShardOf(1) || ap.isShardOf(2)
                                   : view.getAxisSize(a) == 1 || ap.isReplicate();
      }
      if (!byExpert) {
        // Name the usual cause first.
        std::string hint;
        std::optional<unsigned> epAxis = view.findAxis("ep"),
                                etpAxis = view.findAxis("etp");
        bool onExpertView = p->getViewName() == spmd::kExpertView;
        if (onExpertView && epAxis && etpAxis &&
            view.getAxisSize(*epAxis) == 1 && !(*p)[*etpAxis].isReplicate())
          hint = "; splitting over etp needs ep > 1 (the rows are exchanged "
                 "over ep)";
        else if (onExpertView && etpAxis && view.getAxisSize(*etpAxis) > 1 &&
                 (*p)[*etpAxis].isReplicate())
          hint = "; with etp = " + std::to_string(view.getAxisSize(*etpAxis)) +
                 " the model must split the experts on F over etp too (see "
                 "examples/tiny_moe_etp.mlir), or compile with etp = 1";
        param.emitOpError()
            << "is placed " << str(*p)
            << ": moe-partition supports routed experts replicated (ep = 1) "
               "or split by expert over ep (S(0) on ep) and, with etp = tp, "
               "on F over etp (S(2) for w_gate/w_up, S(1) for w_down), "
               "replicated elsewhere"
            << hint;
        return signalPassFailure();
      }
      info.expertParallel = true;
    }
    info.paramPlacements.insert({param.getSymName(), *p});
  }
  for (auto state : module.getOps<StateOp>()) {
    FailureOr<TensorPlacement> p = info.ctx.getStatePlacement(state);
    if (failed(p))
      return signalPassFailure();
    info.statePlacements.insert({state.getSymName(), *p});
  }

  for (func::FuncOp func : functions) {
    FunctionPartitioner partitioner(info, func);
    if (failed(partitioner.run()))
      return signalPassFailure();
  }

  // Declarations get local types; the global type (and, for states, the
  // placement they follow) stays for checkpoints and the registry, which
  // name global tensors.
  auto localize = [&](Operation *op, RankedTensorType type,
                      const TensorPlacement &p) {
    op->setAttr("type", TypeAttr::get(info.getLocalType(type, p)));
    op->setAttr(kGlobalTypeAttr, TypeAttr::get(type));
  };
  for (auto param : module.getOps<ParamOp>())
    localize(param, param.getTensorType(),
             info.paramPlacements.find(param.getSymName())->second);
  for (auto state : module.getOps<StateOp>()) {
    const TensorPlacement &p =
        info.statePlacements.find(state.getSymName())->second;
    localize(state, state.getTensorType(), p);
    if (!isAllReplicated(p))
      state->setAttr(kGlobalPlacementAttr, info.ctx.toAttr(p));
  }
}
