//===- ShardingDecision.cpp - Apply sharding rules to placements ----------===//
//
// The algorithm is described in ShardingDecision.h and docs/propagation.md.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/MoE/Analysis/ShardingDecision.h"

#include "moefold/Dialect/SPMD/IR/MeshLayoutBridge.h"
#include "moefold/Dialect/SPMD/IR/SPMDDialect.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

using namespace mlir;
using namespace moefold;
using namespace moefold::moe;
using placement::AxisPlacement;
using placement::TensorPlacement;

//===----------------------------------------------------------------------===//
// PlacementContext
//===----------------------------------------------------------------------===//

FailureOr<std::unique_ptr<PlacementContext>>
PlacementContext::create(ModuleOp module, spmd::MeshOp mesh) {
  FailureOr<placement::MeshLayout> layout = spmd::getMeshLayout(mesh);
  if (failed(layout))
    return failure();
  return std::unique_ptr<PlacementContext>(
      new PlacementContext(module, mesh, std::move(*layout)));
}

const placement::View &PlacementContext::getView(StringRef viewName) const {
  const placement::View *view = layout.lookupView(viewName);
  assert(view && "unknown view");
  return *view;
}

TensorPlacement PlacementContext::getReplicated(StringRef viewName) const {
  return TensorPlacement(getView(viewName));
}

TensorPlacement
PlacementContext::normalize(const TensorPlacement &placement) const {
  TensorPlacement result = placement;
  const placement::View &view = getView(placement.getViewName());
  for (unsigned axis = 0; axis < view.getNumAxes(); ++axis)
    if (view.getAxisSize(axis) == 1)
      result.set(axis, AxisPlacement::replicate());
  return result;
}

FailureOr<TensorPlacement>
PlacementContext::fromAttr(spmd::PlacementAttr attr,
                           function_ref<InFlightDiagnostic()> emitError) const {
  if (attr.getMesh().getValue() != mesh.getSymName())
    return emitError() << "placement " << attr << " is on mesh "
                       << attr.getMesh() << ", but placements are propagated "
                       << "on @" << mesh.getSymName();
  FailureOr<TensorPlacement> result =
      spmd::getTensorPlacement(layout, attr, emitError);
  if (failed(result))
    return failure();
  return normalize(*result);
}

static spmd::AxisPlacementAttr toAxisAttr(MLIRContext *ctx,
                                          const AxisPlacement &placement) {
  switch (placement.getKind()) {
  case AxisPlacement::Kind::Replicate:
    return spmd::AxisPlacementAttr::getReplicated(ctx);
  case AxisPlacement::Kind::Shard:
    return spmd::AxisPlacementAttr::getSharded(ctx, placement.getShardDim());
  case AxisPlacement::Kind::Partial:
    switch (placement.getReduceKind()) {
    case placement::ReduceKind::Sum:
      return spmd::AxisPlacementAttr::getPartial(ctx, spmd::ReductionKind::Sum);
    case placement::ReduceKind::Avg:
      return spmd::AxisPlacementAttr::getPartial(ctx, spmd::ReductionKind::Avg);
    case placement::ReduceKind::Max:
      return spmd::AxisPlacementAttr::getPartial(ctx, spmd::ReductionKind::Max);
    }
  }
  llvm_unreachable("unknown placement kind");
}

spmd::PlacementAttr
PlacementContext::toAttr(const TensorPlacement &placement) const {
  MLIRContext *ctx = mesh.getContext();
  SmallVector<StringAttr> axes;
  SmallVector<spmd::AxisPlacementAttr> placements;
  for (unsigned axis = 0; axis < placement.getNumAxes(); ++axis) {
    axes.push_back(StringAttr::get(ctx, placement.getAxisName(axis)));
    placements.push_back(toAxisAttr(ctx, placement[axis]));
  }
  return spmd::PlacementAttr::get(
      ctx, FlatSymbolRefAttr::get(ctx, mesh.getSymName()),
      StringAttr::get(ctx, placement.getViewName()), axes, placements);
}

FailureOr<TensorPlacement> PlacementContext::getParamPlacement(ParamOp param) {
  if (std::optional<spmd::PlacementAttr> attr = param.getPlacement())
    return fromAttr(*attr, [&] { return param.emitOpError(); });
  return getReplicated(ParamOp::getViewForFamily(param.getFamily()));
}

ParamOp PlacementContext::getStateParam(StateOp state) {
  StringRef name = state.getSymName();
  for (size_t dot = name.find('.'); dot != StringRef::npos;
       dot = name.find('.', dot + 1)) {
    auto param = dyn_cast_or_null<ParamOp>(symbolTable.lookupSymbolIn(
        module, StringAttr::get(state.getContext(), name.drop_front(dot + 1))));
    if (param && param.getType() == state.getType())
      return param;
  }
  return nullptr;
}

FailureOr<TensorPlacement> PlacementContext::getStatePlacement(StateOp state) {
  if (ParamOp param = getStateParam(state))
    return getParamPlacement(param);
  return getReplicated(placement::kDenseView);
}

Operation *PlacementContext::lookupDeclaration(Operation *user,
                                               FlatSymbolRefAttr name) {
  Operation *symbol = symbolTable.lookupNearestSymbolFrom(user, name);
  if (isa_and_nonnull<ParamOp, StateOp>(symbol))
    return symbol;
  return nullptr;
}

FailureOr<TensorPlacement>
PlacementContext::getDeclaredPlacement(Operation *declaration) {
  if (auto param = dyn_cast<ParamOp>(declaration))
    return getParamPlacement(param);
  return getStatePlacement(cast<StateOp>(declaration));
}

FailureOr<TensorPlacement>
PlacementContext::getPropagatedPlacement(Value value) {
  Attribute attr;
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    if (auto func =
            dyn_cast<FunctionOpInterface>(arg.getOwner()->getParentOp()))
      attr = func.getArgAttr(arg.getArgNumber(),
                             spmd::SPMDDialect::kPlacementArgAttrName);
  } else if (auto array = value.getDefiningOp()->getAttrOfType<ArrayAttr>(
                 kPlacementsAttrName)) {
    unsigned index = cast<OpResult>(value).getResultNumber();
    if (index < array.size())
      attr = array[index];
  }
  auto placementAttr = dyn_cast_or_null<spmd::PlacementAttr>(attr);
  if (!placementAttr)
    return emitError(value.getLoc())
           << "value has no propagated placement (run "
              "moe-propagate-placements first)";
  return fromAttr(placementAttr, [&] { return emitError(value.getLoc()); });
}

//===----------------------------------------------------------------------===//
// decideSharding
//===----------------------------------------------------------------------===//

namespace {
/// One axis of one view.
using AxisKey = std::pair<std::string, unsigned>;

/// The state of one decision.
class Decider {
public:
  Decider(Operation *op, const ShardingRule &rule, PlacementContext &context,
          ArrayRef<OperandPlacement> operands, NoteOperandOrigin noteOrigin)
      : op(op), rule(rule), context(context), operands(operands),
        noteOrigin(noteOrigin) {}

  FailureOr<OpSharding> run();

private:
  LogicalResult resolveViews();
  LogicalResult assignFactors();
  LogicalResult checkFactor(unsigned factor);
  LogicalResult checkConflicts();
  void keepPartials();
  TensorPlacement requiredOperand(unsigned index) const;
  TensorPlacement resultPlacement(unsigned index) const;

  /// The major factor of `dim` that may be sharded, if any.
  std::optional<unsigned> proposedFactor(const TensorFactors &tensor,
                                         int64_t dim) const;
  std::string describeAxes(ArrayRef<AxisKey> axes) const;
  int64_t axisSize(const AxisKey &key) const {
    return context.getView(key.first).getAxisSize(key.second);
  }
  StringRef axisName(const AxisKey &key) const {
    return context.getView(key.first).getAxis(key.second).name;
  }
  /// The axes sharding `factor` on `viewName`.
  SmallVector<AxisKey, 2> axesOn(unsigned factor, StringRef viewName) const {
    SmallVector<AxisKey, 2> result;
    for (const AxisKey &key : factorAxes[factor])
      if (key.first == viewName)
        result.push_back(key);
    return result;
  }
  const SmallVector<unsigned, 2> &factorsOn(const AxisKey &key) const {
    static const SmallVector<unsigned, 2> none;
    auto it = axisFactors.find(key);
    return it == axisFactors.end() ? none : it->second;
  }

  Operation *op;
  const ShardingRule &rule;
  PlacementContext &context;
  ArrayRef<OperandPlacement> operands;
  NoteOperandOrigin noteOrigin;

  std::string opView;
  SmallVector<std::string, 4> operandViews;
  SmallVector<std::string, 4> resultViews;
  /// Operand placements on their effective views, normalized.
  SmallVector<std::optional<TensorPlacement>, 4> inputs;
  SmallVector<SmallVector<AxisKey, 2>, 8> factorAxes;
  std::map<AxisKey, SmallVector<unsigned, 2>> axisFactors;
  /// The operand whose proposal first took each axis.
  std::map<AxisKey, unsigned> axisWinner;
  /// Pending sums kept on operands and produced on results.
  std::map<std::pair<unsigned, AxisKey>, placement::ReduceKind> operandP;
  std::map<std::pair<unsigned, AxisKey>, placement::ReduceKind> resultP;
};
} // namespace

static bool isFullyReplicated(const TensorPlacement &placement) {
  for (unsigned axis = 0; axis < placement.getNumAxes(); ++axis)
    if (!placement[axis].isReplicate())
      return false;
  return true;
}

static std::string printPlacement(const TensorPlacement &placement) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << placement;
  return text;
}

static std::string printAxisPlacement(const AxisPlacement &placement) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << placement;
  return text;
}

static constexpr StringLiteral kViews[] = {placement::kDenseView,
                                           placement::kExpertView};

LogicalResult Decider::resolveViews() {
  // The op's view: its first non-replicated Inherit operand's, else its
  // first Inherit operand's, else dense.
  opView = placement::kDenseView.str();
  bool found = false;
  for (auto [index, tensor] : llvm::enumerate(rule.getOperands())) {
    if (tensor.view != TensorView::Inherit || !operands[index].placement)
      continue;
    const TensorPlacement &placement =
        context.normalize(*operands[index].placement);
    if (!found) {
      opView = placement.getViewName().str();
      found = true;
    }
    if (!isFullyReplicated(placement)) {
      opView = placement.getViewName().str();
      break;
    }
  }

  auto viewOf = [&](TensorView view, const TensorPlacement *own) {
    switch (view) {
    case TensorView::Dense:
      return placement::kDenseView.str();
    case TensorView::Expert:
      return placement::kExpertView.str();
    case TensorView::Inherit:
      return opView;
    case TensorView::Own:
      return own ? own->getViewName().str() : placement::kDenseView.str();
    }
    llvm_unreachable("unknown tensor view");
  };

  for (auto [index, tensor] : llvm::enumerate(rule.getOperands())) {
    const TensorPlacement *given = operands[index].placement;
    operandViews.push_back(viewOf(tensor.view, given));
    if (!tensor.isTensor || !given) {
      inputs.push_back(std::nullopt);
      continue;
    }
    TensorPlacement placement = context.normalize(*given);
    if (placement.getViewName() != operandViews.back()) {
      if (!isFullyReplicated(placement))
        return op->emitError()
               << "operand #" << index << " of " << op->getName()
               << " is placed on the " << placement.getViewName() << " view as "
               << printPlacement(placement) << ", but the op needs it on the "
               << operandViews.back() << " view";
      placement = context.getReplicated(operandViews.back());
    }
    inputs.push_back(std::move(placement));
  }
  for (const TensorFactors &tensor : rule.getResults())
    resultViews.push_back(viewOf(tensor.view, nullptr));
  return success();
}

std::optional<unsigned> Decider::proposedFactor(const TensorFactors &tensor,
                                                int64_t dim) const {
  if (dim >= static_cast<int64_t>(tensor.dims.size()))
    return std::nullopt;
  for (unsigned factor : tensor.dims[dim])
    if (rule.getFactor(factor).kind != FactorKind::ReplicatedOnly)
      return factor;
  return std::nullopt;
}

std::string Decider::describeAxes(ArrayRef<AxisKey> axes) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(
      axes, os, [&](const AxisKey &key) { os << axisName(key); }, "*");
  return text;
}

LogicalResult Decider::checkFactor(unsigned factor) {
  const ShardingFactor &info = rule.getFactor(factor);
  ArrayRef<AxisKey> axes = factorAxes[factor];
  int64_t blocks = 1;
  for (const AxisKey &key : axes)
    blocks *= axisSize(key);
  for (const WholeUnitConstraint &unit : info.wholeUnits)
    if (unit.count % blocks != 0)
      return op->emitError()
             << "cannot shard " << op->getName() << " " << unit.what << " over "
             << describeAxes(axes) << " = " << blocks << ": " << unit.countName
             << " = " << unit.count << " is not divisible by " << blocks;

  // Every dim that carries the factor must split evenly, and the axes of a
  // compound dim must nest in view order.
  auto checkTensor = [&](const TensorFactors &tensor, StringRef viewName,
                         StringRef kind, unsigned index) -> LogicalResult {
    if (!tensor.isTensor)
      return success();
    for (auto [dim, factors] : llvm::enumerate(tensor.dims)) {
      if (!llvm::is_contained(factors, factor))
        continue;
      SmallVector<AxisKey, 4> dimAxes;
      for (unsigned other : factors)
        llvm::append_range(dimAxes, axesOn(other, viewName));
      int64_t dimBlocks = 1;
      for (auto [position, key] : llvm::enumerate(dimAxes)) {
        dimBlocks *= axisSize(key);
        if (position > 0 && dimAxes[position - 1].second >= key.second)
          return op->emitError()
                 << "cannot shard " << op->getName() << " " << kind << " #"
                 << index << " dim " << dim << " over " << describeAxes(dimAxes)
                 << ": its factors would nest the axes against the view order";
      }
      int64_t size = tensor.shape[dim];
      if (dimBlocks > 1 && size % dimBlocks != 0)
        return op->emitError()
               << "cannot shard " << op->getName() << " " << kind << " #"
               << index << " dim " << dim << " of size " << size << " over "
               << describeAxes(dimAxes) << " = " << dimBlocks << ": " << size
               << " is not divisible by " << dimBlocks;
    }
    return success();
  };
  for (auto [index, tensor] : llvm::enumerate(rule.getOperands()))
    if (failed(checkTensor(tensor, operandViews[index], "operand", index)))
      return failure();
  for (auto [index, tensor] : llvm::enumerate(rule.getResults()))
    if (failed(checkTensor(tensor, resultViews[index], "result", index)))
      return failure();
  return success();
}

LogicalResult Decider::assignFactors() {
  factorAxes.resize(rule.getNumFactors());
  for (StringRef viewName : kViews) {
    const placement::View &view = context.getView(viewName);
    for (unsigned axis = 0; axis < view.getNumAxes(); ++axis) {
      if (view.getAxisSize(axis) == 1)
        continue;
      AxisKey key{viewName.str(), axis};
      // A compound dim sharded on the axis does not say which of its factors
      // the axis splits: the single-factor dims propose first, and a
      // compound dim only agrees with them (any of its factors on the axis)
      // or, when none did, proposes its major factor.
      for (bool compoundPass : {false, true}) {
        for (auto [index, tensor] : llvm::enumerate(rule.getOperands())) {
          if (!inputs[index] || operandViews[index] != viewName ||
              tensor.partialOver)
            continue;
          const AxisPlacement &placement = (*inputs[index])[axis];
          if (!placement.isShard() ||
              placement.getShardDim() >=
                  static_cast<int64_t>(tensor.dims.size()))
            continue;
          ArrayRef<unsigned> dimFactors = tensor.dims[placement.getShardDim()];
          if ((dimFactors.size() > 1) != compoundPass)
            continue;
          SmallVector<unsigned, 2> &onAxis = axisFactors[key];
          if (llvm::any_of(dimFactors, [&](unsigned factor) {
                return llvm::is_contained(onAxis, factor);
              }))
            continue;
          std::optional<unsigned> factor =
              proposedFactor(tensor, placement.getShardDim());
          if (!factor || !llvm::all_of(onAxis, [&](unsigned other) {
                return rule.areCompatible(other, *factor);
              }))
            continue;
          if (onAxis.empty())
            axisWinner[key] = index;
          onAxis.push_back(*factor);
          factorAxes[*factor].push_back(key);
          if (failed(checkFactor(*factor)))
            return failure();
        }
      }
    }
  }
  return success();
}

LogicalResult Decider::checkConflicts() {
  for (auto [index, tensor] : llvm::enumerate(rule.getOperands())) {
    if (!inputs[index] || !operands[index].declared || tensor.partialOver)
      continue;
    const TensorPlacement &placement = *inputs[index];
    for (unsigned axis = 0; axis < placement.getNumAxes(); ++axis) {
      if (!placement[axis].isShard())
        continue;
      int64_t dim = placement[axis].getShardDim();
      std::optional<unsigned> factor = proposedFactor(tensor, dim);
      AxisKey key{operandViews[index], axis};
      const SmallVector<unsigned, 2> &onAxis = factorsOn(key);
      if (!factor || onAxis.empty() ||
          llvm::any_of(tensor.dims[dim], [&](unsigned other) {
            return llvm::is_contained(onAxis, other);
          }))
        continue;
      unsigned winner = axisWinner.at(key);
      InFlightDiagnostic diag = op->emitError();
      diag << "placement conflict in " << op->getName() << " on "
           << axisName(key) << ": operand #" << index << " is declared "
           << printAxisPlacement(placement[axis]) << " (factor '"
           << rule.getFactor(*factor).name << "'), but operand #" << winner
           << " is " << printAxisPlacement((*inputs[winner])[axis])
           << " there (factor '" << rule.getFactor(onAxis.front()).name << "')";
      if (noteOrigin) {
        noteOrigin(diag, index);
        noteOrigin(diag, winner);
      }
      return diag;
    }
  }
  return success();
}

void Decider::keepPartials() {
  for (StringRef viewName : kViews) {
    const placement::View &view = context.getView(viewName);
    for (unsigned axis = 0; axis < view.getNumAxes(); ++axis) {
      AxisKey key{viewName.str(), axis};
      if (view.getAxisSize(axis) == 1 || !factorsOn(key).empty())
        continue;
      auto isPartial = [&](unsigned index) {
        return inputs[index] && operandViews[index] == viewName &&
               !rule.getOperand(index).partialOver &&
               (*inputs[index])[axis].isPartial();
      };
      std::optional<unsigned> first;
      for (unsigned index = 0; index < rule.getNumOperands(); ++index)
        if (isPartial(index)) {
          first = index;
          break;
        }
      if (!first)
        continue;
      placement::ReduceKind kind = (*inputs[*first])[axis].getReduceKind();
      if (kind == placement::ReduceKind::Max)
        continue;
      for (const LinearGroup &group : rule.getLinearGroups()) {
        if (!llvm::is_contained(group.operands, *first))
          continue;
        bool allPartial = llvm::all_of(group.operands, [&](unsigned index) {
          return isPartial(index) &&
                 (*inputs[index])[axis].getReduceKind() == kind;
        });
        if (!allPartial)
          break;
        for (unsigned index : group.operands)
          operandP[{index, key}] = kind;
        for (unsigned result : group.results)
          if (resultViews[result] == viewName)
            resultP[{result, key}] = kind;
        break;
      }
    }
  }
}

TensorPlacement Decider::requiredOperand(unsigned index) const {
  const TensorFactors &tensor = rule.getOperand(index);
  StringRef viewName = operandViews[index];
  TensorPlacement required = context.getReplicated(viewName);
  const placement::View &view = context.getView(viewName);
  for (unsigned axis = 0; axis < view.getNumAxes(); ++axis) {
    if (view.getAxisSize(axis) == 1)
      continue;
    AxisKey key{viewName.str(), axis};
    const SmallVector<unsigned, 2> &onAxis = factorsOn(key);
    int64_t dim = -1;
    if (llvm::any_of(onAxis, [&](unsigned factor) {
          return tensor.hasFactor(factor, &dim);
        })) {
      required.set(axis, AxisPlacement::shard(dim));
      continue;
    }
    if (tensor.partialOver && llvm::is_contained(onAxis, *tensor.partialOver)) {
      required.set(axis, AxisPlacement::partial());
      continue;
    }
    auto kept = operandP.find({index, key});
    if (kept != operandP.end())
      required.set(axis, AxisPlacement::partial(kept->second));
  }
  return required;
}

TensorPlacement Decider::resultPlacement(unsigned index) const {
  StringRef viewName = resultViews[index];
  const TensorFactors &tensor = rule.getResult(index);
  TensorPlacement result = context.getReplicated(viewName);
  const placement::View &view = context.getView(viewName);

  // A factor this result sums over, sharded on the other view: the result
  // is partial over every free axis of its own view.
  bool crossView = false;
  if (rule.isCrossViewPartial(index))
    for (unsigned factor = 0; factor < rule.getNumFactors(); ++factor)
      if (rule.reducesInto(factor, index) &&
          llvm::any_of(factorAxes[factor], [&](const AxisKey &key) {
            return key.first != viewName;
          }))
        crossView = true;

  for (unsigned axis = 0; axis < view.getNumAxes(); ++axis) {
    if (view.getAxisSize(axis) == 1)
      continue;
    AxisKey key{viewName.str(), axis};
    const SmallVector<unsigned, 2> &onAxis = factorsOn(key);
    int64_t dim = -1;
    if (llvm::any_of(onAxis, [&](unsigned factor) {
          return tensor.hasFactor(factor, &dim);
        })) {
      result.set(axis, AxisPlacement::shard(dim));
      continue;
    }
    if (crossView || llvm::any_of(onAxis, [&](unsigned factor) {
          return rule.reducesInto(factor, index);
        })) {
      result.set(axis, AxisPlacement::partial());
      continue;
    }
    auto kept = resultP.find({index, key});
    if (kept != resultP.end())
      result.set(axis, AxisPlacement::partial(kept->second));
  }
  return result;
}

FailureOr<OpSharding> Decider::run() {
  if (failed(resolveViews()) || failed(assignFactors()) ||
      failed(checkConflicts()))
    return failure();
  keepPartials();

  OpSharding sharding;
  for (unsigned index = 0; index < rule.getNumOperands(); ++index) {
    if (!rule.getOperand(index).isTensor)
      sharding.operands.push_back(std::nullopt);
    else
      sharding.operands.push_back(requiredOperand(index));
  }
  for (unsigned index = 0; index < rule.getNumResults(); ++index) {
    if (!rule.getResult(index).isTensor)
      sharding.results.push_back(std::nullopt);
    else
      sharding.results.push_back(resultPlacement(index));
  }
  for (const SmallVector<AxisKey, 2> &axes : factorAxes)
    sharding.factorAxes.emplace_back(axes.begin(), axes.end());
  return sharding;
}

FailureOr<OpSharding> moefold::moe::decideSharding(
    Operation *op, const ShardingRule &rule, PlacementContext &context,
    ArrayRef<OperandPlacement> operands, NoteOperandOrigin noteOrigin) {
  assert(operands.size() == rule.getNumOperands() &&
         "one placement per operand");

  // Reads and writes of declared storage take the declaration's placement.
  auto declared = [&](FlatSymbolRefAttr name) -> FailureOr<TensorPlacement> {
    Operation *declaration = context.lookupDeclaration(op, name);
    if (!declaration)
      return op->emitError()
             << name << " does not name a moe.param or moe.state";
    return context.getDeclaredPlacement(declaration);
  };
  FlatSymbolRefAttr readName, writeName;
  if (auto get = dyn_cast<GetParamOp>(op))
    readName = get.getNameAttr();
  else if (auto get = dyn_cast<GetStateOp>(op))
    readName = get.getNameAttr();
  else if (auto set = dyn_cast<SetParamOp>(op))
    writeName = set.getNameAttr();
  else if (auto set = dyn_cast<SetStateOp>(op))
    writeName = set.getNameAttr();
  if (readName || writeName) {
    FailureOr<TensorPlacement> placement =
        declared(readName ? readName : writeName);
    if (failed(placement))
      return failure();
    OpSharding sharding;
    sharding.factorAxes.resize(rule.getNumFactors());
    if (readName)
      sharding.results.push_back(*placement);
    else
      sharding.operands.push_back(*placement);
    return sharding;
  }

  return Decider(op, rule, context, operands, noteOrigin).run();
}

FailureOr<OpSharding>
moefold::moe::decideShardingFromIR(Operation *op, PlacementContext &context) {
  FailureOr<ShardingRule> rule = getShardingRule(op);
  if (failed(rule))
    return op->emitError() << "'" << op->getName() << "' has no sharding rule";
  SmallVector<TensorPlacement, 4> storage;
  storage.reserve(op->getNumOperands());
  SmallVector<OperandPlacement, 4> operands(op->getNumOperands());
  for (auto [index, value] : llvm::enumerate(op->getOperands())) {
    if (!rule->getOperand(index).isTensor)
      continue;
    FailureOr<TensorPlacement> placement =
        context.getPropagatedPlacement(value);
    if (failed(placement))
      return failure();
    storage.push_back(std::move(*placement));
    operands[index].placement = &storage.back();
  }
  return decideSharding(op, *rule, context, operands);
}
