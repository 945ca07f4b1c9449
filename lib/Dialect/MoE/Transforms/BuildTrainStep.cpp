//===- BuildTrainStep.cpp - the compiled training step --------------------===//
//
// Implements moe-build-train-step (docs/design/training-step.md §1): one
// function computing the loss and gradients (the gradient function's body,
// inlined), storing the gradients, clipping by the global norm and applying
// the optimizer to every parameter through moe.set_param / moe.set_state.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/MoE/Transforms/Passes.h"

#include "FunctionRoles.h"
#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>

namespace moefold::moe {
#define GEN_PASS_DEF_MOEBUILDTRAINSTEPPASS
#include "moefold/Dialect/MoE/Transforms/Passes.h.inc"
} // namespace moefold::moe

using namespace mlir;
using namespace moefold::moe;

/// The name of the built function (the lowering's entry point).
static constexpr StringLiteral kTrainStepName = "moefold_train_step";

namespace {

struct MoEBuildTrainStepPass
    : moefold::moe::impl::MoEBuildTrainStepPassBase<MoEBuildTrainStepPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  /// An error at the module, prefixed with the pass name.
  InFlightDiagnostic emitPassError() {
    return getOperation().emitError() << "moe-build-train-step: ";
  }
  /// Checks the options; sets `isAdamW` and the effective weight decay.
  LogicalResult checkOptions(bool &isAdamW, double &decay);
  /// The gradient function to train with (`loss-fn`, else the only one).
  FailureOr<func::FuncOp> findGradientFunction();
};

/// The persistent buffers of one parameter.
struct ParamBuffers {
  ParamOp param;
  FlatSymbolRefAttr grad, m, v; // m and v only for AdamW
};

} // namespace

LogicalResult MoEBuildTrainStepPass::checkOptions(bool &isAdamW,
                                                  double &decay) {
  if (optimizer == "adamw")
    isAdamW = true;
  else if (optimizer == "sgd")
    isAdamW = false;
  else
    return emitPassError() << "unknown optimizer '" << optimizer
                           << "' (expected 'adamw' or 'sgd')";
  // Unset (NaN): the optimizer's default.
  decay = std::isnan(weightDecay) ? (isAdamW ? 0.1 : 0.0)
                                  : static_cast<double>(weightDecay);
  auto emitError = [&] { return emitPassError(); };
  if (failed(ClipScaleOp::verifyMaxNorm(emitError, maxGradNorm)))
    return failure();
  if (isAdamW)
    return AdamWStepOp::verifyHyperparameters(emitError, beta1, beta2, epsilon,
                                              decay);
  return SGDStepOp::verifyWeightDecay(emitError, decay);
}

FailureOr<func::FuncOp> MoEBuildTrainStepPass::findGradientFunction() {
  ModuleOp module = getOperation();
  if (!lossFn.empty()) {
    StringRef name = StringRef(lossFn).ltrim('@');
    auto function = module.lookupSymbol<func::FuncOp>(name);
    if (!function)
      return emitPassError() << "loss-fn: no function named @" << name;
    if (!moefold::moe::detail::isGradientFunction(function))
      return emitPassError()
             << "loss-fn: @" << name
             << " is not a gradient function (moe-autodiff creates @<loss "
                "function>_grad, returning the loss and {"
             << MoEDialect::kGradOfAttrName << "} results)";
    return function;
  }
  SmallVector<func::FuncOp> candidates;
  for (auto function : module.getOps<func::FuncOp>())
    if (moefold::moe::detail::isGradientFunction(function))
      candidates.push_back(function);
  if (candidates.empty())
    return emitPassError()
           << "no gradient function in the module: run moe-autodiff first";
  if (candidates.size() > 1) {
    InFlightDiagnostic diag = emitPassError();
    diag << candidates.size() << " gradient functions (";
    llvm::interleaveComma(candidates, diag, [&](func::FuncOp function) {
      diag << "@" << function.getSymName();
    });
    diag << "); choose one with loss-fn";
    return diag;
  }
  return candidates.front();
}

void MoEBuildTrainStepPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  bool isAdamW = false;
  double decay = 0.0;
  if (failed(checkOptions(isAdamW, decay)))
    return signalPassFailure();

  SmallVector<ParamOp> params(module.getOps<ParamOp>());
  if (params.empty()) {
    emitPassError() << "the module declares no moe.param: nothing to train";
    return signalPassFailure();
  }
  FailureOr<func::FuncOp> found = findGradientFunction();
  if (failed(found))
    return signalPassFailure();
  func::FuncOp gradFn = *found;

  // The gradient function returns the loss, then one gradient per parameter
  // in declaration order (parameters added after moe-autodiff break that).
  if (gradFn.getNumResults() != params.size() + 1) {
    gradFn.emitError() << "gradient function @" << gradFn.getSymName()
                       << " returns " << gradFn.getNumResults() - 1
                       << " gradients but the module declares " << params.size()
                       << " parameters; re-run moe-autodiff";
    return signalPassFailure();
  }
  for (auto [i, param] : llvm::enumerate(params)) {
    auto gradOf = gradFn.getResultAttrOfType<FlatSymbolRefAttr>(
        i + 1, MoEDialect::kGradOfAttrName);
    if (gradOf.getValue() != param.getSymName()) {
      gradFn.emitError() << "result #" << i + 1 << " of @"
                         << gradFn.getSymName() << " is the gradient of "
                         << gradOf << ", but parameter #" << i
                         << " in declaration order is @" << param.getSymName()
                         << "; re-run moe-autodiff";
      return signalPassFailure();
    }
  }

  // Names must be free.
  SymbolTable symbolTable(module);
  SmallVector<std::string> newNames = {kTrainStepName.str()};
  for (ParamOp param : params) {
    newNames.push_back(("grad." + param.getSymName()).str());
    if (isAdamW) {
      newNames.push_back(("adam_m." + param.getSymName()).str());
      newNames.push_back(("adam_v." + param.getSymName()).str());
    }
  }
  for (const std::string &name : newNames) {
    if (Operation *existing = symbolTable.lookup(name)) {
      existing->emitError() << "moe-build-train-step: cannot declare @" << name
                            << ": the symbol already exists";
      return signalPassFailure();
    }
  }

  // States, after the last parameter: gradient buffers, then the moments.
  OpBuilder builder(ctx);
  builder.setInsertionPointAfter(params.back());
  SmallVector<ParamBuffers> buffers;
  auto declareState = [&](StringRef prefix, ParamOp param) {
    auto state = StateOp::create(builder, param.getLoc(),
                                 (prefix + param.getSymName()).str(),
                                 param.getType(), InitAttr());
    return FlatSymbolRefAttr::get(state.getSymNameAttr());
  };
  for (ParamOp param : params)
    buffers.push_back({param, declareState("grad.", param), nullptr, nullptr});
  if (isAdamW) {
    for (ParamBuffers &buffer : buffers)
      buffer.m = declareState("adam_m.", buffer.param);
    for (ParamBuffers &buffer : buffers)
      buffer.v = declareState("adam_v.", buffer.param);
  }

  // @moefold_train_step(<gradient function arguments>, %lr, %step)
  //     -> (loss, grad_norm, applied)
  Type f32Scalar = RankedTensorType::get({}, Float32Type::get(ctx));
  Type i1Scalar = RankedTensorType::get({}, IntegerType::get(ctx, 1));
  SmallVector<Type> inputs(gradFn.getArgumentTypes());
  inputs.append({f32Scalar, f32Scalar});
  SmallVector<Type> results = {gradFn.getResultTypes()[0], f32Scalar, i1Scalar};
  Location loc = gradFn.getLoc();
  builder.setInsertionPointToEnd(module.getBody());
  auto step = func::FuncOp::create(builder, loc, kTrainStepName,
                                   FunctionType::get(ctx, inputs, results));
  for (unsigned i = 0, e = gradFn.getNumArguments(); i < e; ++i)
    if (DictionaryAttr attrs = gradFn.getArgAttrDict(i))
      step.setArgAttrs(i, attrs);
  Block *block = step.addEntryBlock();
  Value lr = block->getArgument(gradFn.getNumArguments());
  Value stepCount = block->getArgument(gradFn.getNumArguments() + 1);

  // Loss and gradients: the gradient function's body, inlined.
  Block &gradBlock = gradFn.getBody().front();
  IRMapping mapping;
  mapping.map(gradBlock.getArguments(),
              block->getArguments().take_front(gradFn.getNumArguments()));
  builder.setInsertionPointToEnd(block);
  for (Operation &op : gradBlock.without_terminator())
    builder.clone(op, mapping);
  Operation *gradReturn = gradBlock.getTerminator();
  Value loss = mapping.lookupOrDefault(gradReturn->getOperand(0));
  SmallVector<Value> grads;
  for (Value grad : gradReturn->getOperands().drop_front())
    grads.push_back(mapping.lookupOrDefault(grad));

  // Gradient buffers, global norm, clipping.
  for (auto [buffer, grad] : llvm::zip(buffers, grads))
    SetStateOp::create(builder, buffer.param.getLoc(), buffer.grad, grad);
  Value norm = GlobalNormOp::create(builder, loc, grads);
  auto clip = ClipScaleOp::create(builder, loc, norm,
                                  builder.getF64FloatAttr(maxGradNorm));
  Value scale = clip.getScale();
  Value apply = clip.getApply();

  // The update of every parameter.
  FloatAttr decayAttr = builder.getF64FloatAttr(decay);
  for (auto [buffer, grad] : llvm::zip(buffers, grads)) {
    ParamOp param = buffer.param;
    Location paramLoc = param.getLoc();
    auto paramRef = FlatSymbolRefAttr::get(param.getSymNameAttr());
    Value value =
        GetParamOp::create(builder, paramLoc, param.getType(), paramRef);
    if (!isAdamW) {
      auto update = SGDStepOp::create(builder, paramLoc, value, grad, scale, lr,
                                      apply, decayAttr);
      SetParamOp::create(builder, paramLoc, paramRef, update.getNewParam());
      continue;
    }
    Value m = GetStateOp::create(builder, paramLoc, param.getType(), buffer.m);
    Value v = GetStateOp::create(builder, paramLoc, param.getType(), buffer.v);
    auto update = AdamWStepOp::create(
        builder, paramLoc, value, grad, m, v, scale, lr, stepCount, apply,
        builder.getF64FloatAttr(beta1), builder.getF64FloatAttr(beta2),
        builder.getF64FloatAttr(epsilon), decayAttr);
    SetParamOp::create(builder, paramLoc, paramRef, update.getNewParam());
    SetStateOp::create(builder, paramLoc, buffer.m, update.getNewM());
    SetStateOp::create(builder, paramLoc, buffer.v, update.getNewV());
  }
  func::ReturnOp::create(builder, loc, ValueRange{loss, norm, apply});
}
