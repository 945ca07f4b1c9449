//===- Autodiff.cpp - reverse-mode differentiation of loss functions ------===//
//
// Implements moe-autodiff: for every function with a {moe.loss} result,
// builds @<name>_grad returning the loss and the gradient of every moe.param
// at global semantics. The gradient function is a copy of the forward body
// followed by the backward ops each op's VJPOpInterface builds, in reverse
// order.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/MoE/Transforms/Passes.h"

#include "FunctionRoles.h"
#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"

namespace moefold::moe {
#define GEN_PASS_DEF_MOEAUTODIFFPASS
#include "moefold/Dialect/MoE/Transforms/Passes.h.inc"
} // namespace moefold::moe

using namespace mlir;
using namespace moefold::moe;

/// Values a gradient can flow through: float tensors and float scalars.
static bool isDifferentiable(Type type) {
  if (auto tensor = dyn_cast<TensorType>(type))
    return isa<FloatType>(tensor.getElementType());
  return isa<FloatType>(type);
}

namespace {

/// Reverse-mode differentiation of one loss function.
class Differentiator {
public:
  Differentiator(func::FuncOp forward, unsigned lossIndex,
                 ArrayRef<ParamOp> params)
      : forward(forward), lossIndex(lossIndex), params(params) {}

  /// Builds the gradient function named `name` after the forward function.
  /// On failure a diagnostic has been emitted and nothing is left behind.
  FailureOr<func::FuncOp> run(StringRef name);

private:
  /// Adds `grad` to the gradient of `value` (a moe.add when one is already
  /// there), building at the end of the gradient function.
  void accumulate(Value value, Value grad, Location loc);
  /// Reverses one cloned forward op whose results received `resultGrads`.
  LogicalResult reverse(Operation *op, ArrayRef<Value> resultGrads);
  /// "cannot differentiate @<forward>".
  std::string suffix() {
    return ("cannot differentiate @" + forward.getSymName()).str();
  }

  func::FuncOp forward;
  unsigned lossIndex;
  ArrayRef<ParamOp> params;
  OpBuilder builder{forward.getContext()};
  /// The gradient of every value of the gradient function reached so far.
  DenseMap<Value, Value> grads;
  /// The accumulated gradient of every parameter, by symbol name.
  DenseMap<StringAttr, Value> paramGrads;
};

} // namespace

void Differentiator::accumulate(Value value, Value grad, Location loc) {
  assert(grad.getType() == value.getType() &&
         "a VJP rule built a gradient of the wrong type");
  Value &slot = grads[value];
  slot = slot ? AddOp::create(builder, loc, slot, grad).getResult() : grad;
}

LogicalResult Differentiator::reverse(Operation *op,
                                      ArrayRef<Value> resultGrads) {
  // Parameter reads collect their parameter's gradient.
  if (auto getParam = dyn_cast<GetParamOp>(op)) {
    StringAttr name = getParam.getNameAttr().getAttr();
    Value &slot = paramGrads[name];
    slot = slot ? AddOp::create(builder, op->getLoc(), slot, resultGrads[0])
                      .getResult()
                : resultGrads[0];
    return success();
  }
  if (op->getNumRegions() != 0)
    return op->emitError() << "control flow ('" << op->getName()
                           << "') is not supported: " << suffix();
  auto vjp = dyn_cast<VJPOpInterface>(op);
  if (!vjp) {
    // An op without differentiable operands (a constant, a read of a state,
    // a cast from integers) absorbs the gradient.
    if (llvm::none_of(op->getOperandTypes(), isDifferentiable))
      return success();
    return op->emitError() << "'" << op->getName()
                           << "' has no VJP rule: " << suffix();
  }
  SmallVector<Value> operandGrads;
  if (failed(vjp.buildVJP(builder, resultGrads, operandGrads)))
    return failure();
  assert(operandGrads.size() == op->getNumOperands() &&
         "a VJP rule must return one entry per operand");
  for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGrads))
    if (grad)
      accumulate(operand, grad, op->getLoc());
  return success();
}

FailureOr<func::FuncOp> Differentiator::run(StringRef name) {
  Region &body = forward.getBody();
  if (!body.hasOneBlock())
    return forward.emitError() << "control flow (" << body.getBlocks().size()
                               << " blocks) is not supported: " << suffix();
  Block &forwardBlock = body.front();
  Operation *terminator = forwardBlock.getTerminator();

  // The gradient function: same arguments; the loss, then one gradient per
  // parameter in declaration order.
  MLIRContext *ctx = forward.getContext();
  FunctionType forwardType = forward.getFunctionType();
  SmallVector<Type> resultTypes = {forwardType.getResult(lossIndex)};
  for (ParamOp param : params)
    resultTypes.push_back(param.getType());
  builder.setInsertionPointAfter(forward);
  auto gradFn = func::FuncOp::create(
      builder, forward.getLoc(), name,
      FunctionType::get(ctx, forwardType.getInputs(), resultTypes));
  for (unsigned i = 0, e = forward.getNumArguments(); i < e; ++i)
    if (DictionaryAttr attrs = forward.getArgAttrDict(i))
      gradFn.setArgAttrs(i, attrs);
  gradFn.setResultAttr(0, MoEDialect::kLossAttrName, UnitAttr::get(ctx));
  for (auto [i, param] : llvm::enumerate(params))
    gradFn.setResultAttr(
        i + 1, MoEDialect::kGradOfAttrName,
        FlatSymbolRefAttr::get(ParamOp(param).getSymNameAttr()));

  // Forward: a copy of the body.
  Block *block = gradFn.addEntryBlock();
  IRMapping mapping;
  mapping.map(forwardBlock.getArguments(), block->getArguments());
  builder.setInsertionPointToEnd(block);
  SmallVector<Operation *> forwardOps;
  for (Operation &op : forwardBlock.without_terminator())
    forwardOps.push_back(builder.clone(op, mapping));

  // Backward: seed the loss, then every op in reverse order.
  Value loss = mapping.lookupOrDefault(terminator->getOperand(lossIndex));
  Location seedLoc = terminator->getLoc();
  grads[loss] = FillOp::create(builder, seedLoc, loss.getType(), 1.0);
  for (Operation *op : llvm::reverse(forwardOps)) {
    SmallVector<Value> resultGrads;
    for (Value result : op->getResults())
      resultGrads.push_back(grads.lookup(result));
    if (llvm::all_of(resultGrads, [](Value grad) { return !grad; }))
      continue;
    if (failed(reverse(op, resultGrads))) {
      gradFn.erase();
      return failure();
    }
  }

  SmallVector<Value> results = {loss};
  for (ParamOp param : params) {
    Value grad = paramGrads.lookup(param.getSymNameAttr());
    results.push_back(
        getGradOrZero(builder, param.getLoc(), grad, param.getType()));
  }
  func::ReturnOp::create(builder, seedLoc, results);

  // Gradients that reach only function arguments (or an unused result of a
  // multi-result gradient op feeding nothing) are dead: drop them. The
  // forward copy is left as written.
  Operation *seed = grads[loss].getDefiningOp();
  SmallVector<Operation *> backwardOps;
  for (Operation *op = seed; op != block->getTerminator();
       op = op->getNextNode())
    backwardOps.push_back(op);
  for (Operation *op : llvm::reverse(backwardOps))
    if (isOpTriviallyDead(op))
      op->erase();
  return gradFn;
}

namespace {
struct MoEAutodiffPass
    : moefold::moe::impl::MoEAutodiffPassBase<MoEAutodiffPass> {
  void runOnOperation() override;
};
} // namespace

void MoEAutodiffPass::runOnOperation() {
  ModuleOp module = getOperation();
  SymbolTable symbolTable(module);
  SmallVector<ParamOp> params(module.getOps<ParamOp>());

  // Collect first: the pass adds functions to the module.
  SmallVector<std::pair<func::FuncOp, unsigned>> lossFunctions;
  for (auto function : module.getOps<func::FuncOp>()) {
    std::optional<unsigned> lossIndex =
        moefold::moe::detail::getLossResult(function);
    if (!lossIndex || function.isExternal() ||
        moefold::moe::detail::hasGradientResults(function))
      continue;
    lossFunctions.emplace_back(function, *lossIndex);
  }
  if (lossFunctions.empty()) {
    module.emitError("moe-autodiff: no function has a result marked {")
        << MoEDialect::kLossAttrName << "}; nothing to differentiate";
    return signalPassFailure();
  }

  bool failed = false;
  for (auto [function, lossIndex] : lossFunctions) {
    std::string name = (function.getSymName() + "_grad").str();
    if (symbolTable.lookup(name)) {
      function.emitError() << "cannot create the gradient function @" << name
                           << ": the symbol already exists";
      failed = true;
      continue;
    }
    FailureOr<func::FuncOp> gradFn =
        Differentiator(function, lossIndex, params).run(name);
    if (mlir::failed(gradFn)) {
      failed = true;
      continue;
    }
    symbolTable.insert(*gradFn);
  }
  if (failed)
    signalPassFailure();
}
