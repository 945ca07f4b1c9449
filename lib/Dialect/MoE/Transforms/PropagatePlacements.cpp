//===- PropagatePlacements.cpp - global placements of a training step -----===//
//
// Implements moe-propagate-placements: seeds the arguments, reads the
// declared placements of parameters and states, and walks every step
// function in program order, deciding each op's result placements from its
// operands' with the sharding rules (moefold/Dialect/MoE/Analysis). The
// interface it writes is docs/design/partitioning.md §3; the algorithm is
// docs/propagation.md.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/MoE/Transforms/Passes.h"

#include "moefold/Dialect/MoE/Analysis/ShardingDecision.h"
#include "moefold/Dialect/MoE/Analysis/ShardingRules.h"
#include "moefold/Dialect/MoE/IR/MoEOps.h"
#include "moefold/Dialect/SPMD/IR/SPMDDialect.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/raw_ostream.h"

namespace moefold::moe {
#define GEN_PASS_DEF_MOEPROPAGATEPLACEMENTSPASS
#include "moefold/Dialect/MoE/Transforms/Passes.h.inc"
} // namespace moefold::moe

using namespace mlir;
using namespace moefold;
using namespace moefold::moe;
using placement::AxisPlacement;
using placement::TensorPlacement;

static constexpr StringLiteral kPassName = "moe-propagate-placements";

namespace {
struct MoEPropagatePlacementsPass
    : moe::impl::MoEPropagatePlacementsPassBase<MoEPropagatePlacementsPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  spmd::MeshOp findMesh(ModuleOp module);
};

/// Propagation through one function.
class FunctionPropagation {
public:
  FunctionPropagation(func::FuncOp func, PlacementContext &context,
                      unsigned batchAxis)
      : func(func), context(context), batchAxis(batchAxis) {}

  LogicalResult run();

private:
  LogicalResult seedArguments();
  LogicalResult propagate(Operation *op);
  void noteOrigin(InFlightDiagnostic &diag, Operation *user, unsigned operand);

  func::FuncOp func;
  PlacementContext &context;
  unsigned batchAxis;
  llvm::DenseMap<Value, TensorPlacement> placements;
  llvm::DenseSet<Value> declared;
};
} // namespace

/// A step function: a function with a body that uses the moe dialect.
static bool isStepFunction(func::FuncOp func) {
  if (func.isExternal())
    return false;
  bool found = false;
  func.walk([&](Operation *op) {
    if (isa<MoEDialect>(op->getDialect())) {
      found = true;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

static std::string printPlacement(const TensorPlacement &placement) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << placement;
  return text;
}

LogicalResult FunctionPropagation::seedArguments() {
  const placement::View &dense = context.getView(placement::kDenseView);
  for (BlockArgument arg : func.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type || !type.hasStaticShape())
      continue;
    unsigned index = arg.getArgNumber();
    if (auto attr = func.getArgAttrOfType<spmd::PlacementAttr>(
            index, spmd::SPMDDialect::kPlacementArgAttrName)) {
      FailureOr<TensorPlacement> placement = context.fromAttr(attr, [&] {
        return func.emitError() << "argument #" << index << ": ";
      });
      if (failed(placement))
        return failure();
      placements.try_emplace(arg, *placement);
      declared.insert(arg);
      continue;
    }
    TensorPlacement placement = context.getReplicated(placement::kDenseView);
    int64_t size = dense.getAxisSize(batchAxis);
    if (type.getRank() >= 1 && size > 1) {
      int64_t batch = type.getDimSize(0);
      if (batch % size != 0)
        return emitError(arg.getLoc())
               << "cannot shard argument #" << index << " of @"
               << func.getSymName() << " over " << dense.getAxis(batchAxis).name
               << " = " << size << ": its batch dim 0 of size " << batch
               << " is not divisible by " << size
               << " (annotate the argument with spmd.placement, or change "
                  "the batch or the mesh)";
      placement.set(batchAxis, AxisPlacement::shard(0));
    }
    placements.try_emplace(arg, placement);
  }
  return success();
}

void FunctionPropagation::noteOrigin(InFlightDiagnostic &diag, Operation *user,
                                     unsigned operand) {
  Value value = user->getOperand(operand);
  auto it = placements.find(value);
  std::string text =
      it == placements.end() ? std::string("?") : printPlacement(it->second);
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    diag.attachNote(arg.getLoc())
        << "operand #" << operand << " is argument #" << arg.getArgNumber()
        << ", placed " << text
        << (declared.contains(value) ? " by its annotation" : " as a batch");
    return;
  }
  Operation *producer = value.getDefiningOp();
  FlatSymbolRefAttr name;
  if (auto get = dyn_cast<GetParamOp>(producer))
    name = get.getNameAttr();
  else if (auto get = dyn_cast<GetStateOp>(producer))
    name = get.getNameAttr();
  if (name) {
    if (Operation *declaration = context.lookupDeclaration(producer, name)) {
      diag.attachNote(declaration->getLoc())
          << "operand #" << operand << " reads " << name << ", declared "
          << text << " here";
      return;
    }
  }
  diag.attachNote(producer->getLoc())
      << "operand #" << operand << " is " << text << ", produced here";
}

LogicalResult FunctionPropagation::propagate(Operation *op) {
  FailureOr<ShardingRule> rule = getShardingRule(op);
  if (failed(rule))
    return op->emitError() << "'" << op->getName() << "' has no sharding rule";

  SmallVector<OperandPlacement, 8> operands;
  for (Value value : op->getOperands()) {
    OperandPlacement info;
    auto it = placements.find(value);
    if (it != placements.end())
      info.placement = &it->second;
    info.declared = declared.contains(value);
    operands.push_back(info);
  }
  FailureOr<OpSharding> sharding =
      decideSharding(op, *rule, context, operands,
                     [&](InFlightDiagnostic &diag, unsigned operand) {
                       noteOrigin(diag, op, operand);
                     });
  if (failed(sharding))
    return failure();

  if (op->getNumResults() == 0)
    return success();
  SmallVector<Attribute> attrs;
  for (auto [result, placement] :
       llvm::zip(op->getResults(), sharding->results)) {
    if (!placement) {
      attrs.push_back(UnitAttr::get(op->getContext()));
      continue;
    }
    attrs.push_back(context.toAttr(*placement));
    placements.insert_or_assign(result, *placement);
    if (isa<GetParamOp, GetStateOp>(op))
      declared.insert(result);
  }
  op->setAttr(kPlacementsAttrName, ArrayAttr::get(op->getContext(), attrs));
  return success();
}

LogicalResult FunctionPropagation::run() {
  if (!func.getBody().hasOneBlock())
    return func.emitError()
           << "control flow (" << func.getBody().getBlocks().size()
           << " blocks) is not supported: cannot propagate placements "
              "through @"
           << func.getSymName();
  if (failed(seedArguments()))
    return failure();
  for (Operation &op : func.getBody().front())
    if (failed(propagate(&op)))
      return failure();
  for (BlockArgument arg : func.getArguments()) {
    auto it = placements.find(arg);
    if (it == placements.end() || declared.contains(arg))
      continue;
    func.setArgAttr(arg.getArgNumber(),
                    spmd::SPMDDialect::kPlacementArgAttrName,
                    context.toAttr(it->second));
  }
  return success();
}

/// Prints, per op, its rule and the placements decided from the attributes
/// just written (the view moe-partition has of the function).
static LogicalResult printFunctionDecisions(func::FuncOp func,
                                            PlacementContext &context) {
  raw_ostream &os = llvm::outs();
  os << "decisions of @" << func.getSymName() << "\n";
  for (Operation &op : func.getBody().front()) {
    FailureOr<ShardingRule> rule = getShardingRule(&op);
    FailureOr<OpSharding> sharding = decideShardingFromIR(&op, context);
    if (failed(rule) || failed(sharding))
      return failure();
    os << "  " << op.getName() << " " << *rule << "\n";
    auto printAll = [&](StringRef label,
                        ArrayRef<std::optional<TensorPlacement>> list) {
      os << "    " << label << ":";
      for (const std::optional<TensorPlacement> &placement : list) {
        os << " ";
        if (placement)
          os << placement->getViewName() << *placement;
        else
          os << "-";
      }
      os << "\n";
    };
    printAll("needs", sharding->operands);
    printAll("gives", sharding->results);
  }
  return success();
}

spmd::MeshOp MoEPropagatePlacementsPass::findMesh(ModuleOp module) {
  SmallVector<spmd::MeshOp> meshes(module.getOps<spmd::MeshOp>());
  StringRef name = StringRef(meshName).ltrim('@');
  if (name.empty()) {
    if (meshes.size() == 1)
      return meshes.front();
    if (meshes.empty())
      module.emitError() << kPassName << ": the module has no spmd.mesh";
    else
      module.emitError() << kPassName << ": the module has " << meshes.size()
                         << " spmd.mesh ops; choose one with mesh=<name>";
    return nullptr;
  }
  for (spmd::MeshOp mesh : meshes)
    if (mesh.getSymName() == name)
      return mesh;
  module.emitError() << kPassName << ": mesh=" << name
                     << " names no spmd.mesh of the module";
  return nullptr;
}

void MoEPropagatePlacementsPass::runOnOperation() {
  ModuleOp module = getOperation();
  spmd::MeshOp mesh = findMesh(module);
  if (!mesh)
    return signalPassFailure();
  FailureOr<std::unique_ptr<PlacementContext>> context =
      PlacementContext::create(module, mesh);
  if (failed(context))
    return signalPassFailure();

  const placement::View &dense = (*context)->getView(placement::kDenseView);
  std::optional<unsigned> batch = dense.findAxis(batchAxis);
  if (!batch) {
    std::string axes;
    llvm::raw_string_ostream os(axes);
    llvm::interleaveComma(
        dense.getAxes(), os,
        [&](const placement::MeshAxis &axis) { os << axis.name; });
    module.emitError() << kPassName << ": batch-axis '" << batchAxis
                       << "' is not an axis of the dense view of @"
                       << mesh.getSymName() << " (" << axes << ")";
    return signalPassFailure();
  }

  bool failedAny = false;
  for (func::FuncOp func : module.getOps<func::FuncOp>()) {
    if (!isStepFunction(func))
      continue;
    if (failed(FunctionPropagation(func, **context, *batch).run())) {
      failedAny = true;
      continue;
    }
    if (printDecisions && failed(printFunctionDecisions(func, **context)))
      failedAny = true;
  }
  if (failedAny)
    signalPassFailure();
}
