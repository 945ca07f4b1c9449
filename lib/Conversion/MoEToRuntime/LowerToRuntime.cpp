//===- LowerToRuntime.cpp - the moe-lower-to-runtime pass ----------------===//
//
// Runs, in order: input checks (every op has a lowering, f32/f64 floats,
// i32 indices, straight-line functions); parameters and states to
// memref.globals; the dialect conversion of moe ops to runtime calls; the
// entry ABI of public functions; deallocation; moefold_register(); runtime
// function declarations.
//
//===----------------------------------------------------------------------===//

#include "moefold/Conversion/MoEToRuntime/Passes.h"

#include "Lowering.h"

#include "moefold/Dialect/MoE/IR/MoEDialect.h"
#include "moefold/Dialect/MoE/IR/MoEOps.h"
#include "moefold/Dialect/SPMD/IR/SPMDDialect.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"

#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

namespace moefold {
#define GEN_PASS_DEF_MOELOWERTORUNTIMEPASS
#include "moefold/Conversion/MoEToRuntime/Passes.h.inc"
} // namespace moefold

using namespace mlir;
using namespace moefold;
using namespace moefold::lowering;

namespace {

bool isMoEOrSPMD(Operation *op) {
  Dialect *d = op->getDialect();
  return d && (isa<moe::MoEDialect>(d) || isa<spmd::SPMDDialect>(d));
}

bool hasTensorType(Operation *op) {
  auto isTensor = [](Type t) { return isa<TensorType>(t); };
  return llvm::any_of(op->getOperandTypes(), isTensor) ||
         llvm::any_of(op->getResultTypes(), isTensor);
}

/// arith and math ops on tensors (moe-partition's scalars).
bool isTensorArith(Operation *op) {
  Dialect *d = op->getDialect();
  return d && (isa<arith::ArithDialect>(d) || isa<math::MathDialect>(d)) &&
         hasTensorType(op);
}

/// Diagnoses what the runtime cannot run. Returns failure after reporting
/// every problem.
LogicalResult checkInput(ModuleOp module) {
  bool ok = true;
  module.walk([&](Operation *op) {
    if (isTensorArith(op)) {
      std::string why;
      if (!isSupportedTensorArith(op, why)) {
        op->emitError() << "'" << op->getName() << "' on "
                        << op->getResultTypes().front()
                        << " has no lowering to the runtime: " << why;
        ok = false;
      }
      return;
    }
    if (isa<spmd::MeshOp>(op) || !isMoEOrSPMD(op))
      return;
    StringRef name = op->getName().getStringRef();
    bool isSPMD = isa<spmd::SPMDDialect>(op->getDialect());
    if (!hasRuntimeLowering(name)) {
      op->emitError() << "'" << name << "' has no lowering to the runtime";
      ok = false;
      return;
    }
    bool reported = false;
    auto checkType = [&](Type type) {
      auto tensor = dyn_cast<RankedTensorType>(type);
      if (!tensor || reported)
        return;
      Type element = tensor.getElementType();
      if (isSPMD) {
        // The comm backend's element types, one error per op.
        if (!element.isF32() && !element.isF64() && !element.isInteger(32) &&
            !element.isInteger(64)) {
          op->emitError() << "'" << name << "' on " << element
                          << " tensors has no lowering to the runtime (the "
                             "collectives move f32, f64, i32 or i64)";
          ok = false;
          reported = true;
        }
      } else if (isa<FloatType>(element) && !element.isF32() &&
                 !element.isF64()) {
        op->emitError() << "'" << name << "' on " << element
                        << " tensors has no lowering to the runtime (the "
                           "CPU kernels take f32 or f64)";
        ok = false;
      } else if (element.isInteger(64)) {
        op->emitError() << "'" << name
                        << "' with i64 index tensors has no lowering to "
                           "the runtime (the kernels take i32 indices)";
        ok = false;
      }
    };
    for (Type t : op->getOperandTypes())
      checkType(t);
    for (Type t : op->getResultTypes())
      checkType(t);
    if (auto param = dyn_cast<moe::ParamOp>(op))
      checkType(param.getTensorType());
    if (auto st = dyn_cast<moe::StateOp>(op))
      checkType(st.getTensorType());
  });
  // The pass generates moefold_register() and the mfrt_* declarations.
  for (Operation &op : module.getBody()->getOperations())
    if (auto sym = dyn_cast<SymbolOpInterface>(op))
      if (sym.getName() == "moefold_register" ||
          (sym.getName().starts_with("mfrt_") && !isa<func::FuncOp>(op))) {
        op.emitError("the symbol @")
            << sym.getName() << " is reserved for moe-lower-to-runtime";
        ok = false;
      }
  // Public functions get the entry ABI, which changes their signature.
  module.walk([&](func::CallOp call) {
    auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
    if (callee && callee.isPublic() && !callee.isExternal()) {
      call.emitError("calls public function @")
          << call.getCallee()
          << ", whose signature becomes the C entry ABI; make it private";
      ok = false;
    }
  });
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal())
      continue;
    if (!func.getBody().hasOneBlock()) {
      func.emitError("moe-lower-to-runtime expects straight-line functions "
                     "(one block)");
      ok = false;
      continue;
    }
    for (Operation &op : func.getBody().front())
      if (op.getNumRegions() && isMoEOrSPMD(&op)) {
        op.emitError("moe-lower-to-runtime expects straight-line code");
        ok = false;
      }
    for (Type t : func.getFunctionType().getInputs())
      if (auto tensor = dyn_cast<RankedTensorType>(t);
          tensor && !tensor.hasStaticShape()) {
        func.emitError("moe-lower-to-runtime expects statically shaped "
                       "arguments, got ")
            << t;
        ok = false;
      }
  }
  return success(ok);
}

/// Drops moe.* and spmd.* argument and result attributes (moe.loss,
/// moe.grad_of, moe.global_type, spmd.local, ...): the symbols they name are
/// about to disappear, and LLVM has no use for them.
void stripMoEAttributes(func::FuncOp func) {
  auto strip = [](DictionaryAttr dict) -> DictionaryAttr {
    if (!dict)
      return dict;
    SmallVector<NamedAttribute> kept;
    for (NamedAttribute a : dict)
      if (!a.getName().getValue().starts_with("moe.") &&
          !a.getName().getValue().starts_with("spmd."))
        kept.push_back(a);
    return DictionaryAttr::get(dict.getContext(), kept);
  };
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    func.setArgAttrs(i, strip(func.getArgAttrDict(i)));
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    func.setResultAttrs(i, strip(func.getResultAttrDict(i)));
}

/// The batch geometry: [B, S] i32 tokens/targets of the entry functions
/// (moefold_train_step, else moefold_eval, else the first public function
/// taking two such tensors), the vocabulary and float type of the first
/// cross-entropy (or vocab-parallel target logit).
Geometry findGeometry(ModuleOp module) {
  Geometry g;
  auto tokenShape = [](func::FuncOp f) -> std::optional<ArrayRef<int64_t>> {
    FunctionType type = f.getFunctionType();
    if (type.getNumInputs() < 2)
      return std::nullopt;
    auto a = dyn_cast<RankedTensorType>(type.getInput(0));
    auto b = dyn_cast<RankedTensorType>(type.getInput(1));
    if (!a || !b || a != b || a.getRank() != 2 ||
        !a.getElementType().isInteger(32) || !a.hasStaticShape())
      return std::nullopt;
    return a.getShape();
  };
  std::optional<ArrayRef<int64_t>> shape;
  for (StringRef name : {"moefold_train_step", "moefold_eval"})
    if (auto f = module.lookupSymbol<func::FuncOp>(name); f && !shape)
      shape = tokenShape(f);
  for (auto f : module.getOps<func::FuncOp>())
    if (!shape && f.isPublic() && !f.isExternal())
      shape = tokenShape(f);
  // A vocab-parallel cross-entropy holds a shard of the logits: its target
  // op names the whole vocabulary.
  RankedTensorType logits;
  int64_t vocab = 0;
  module.walk([&](Operation *op) {
    if (logits)
      return;
    if (auto ce = dyn_cast<moe::CrossEntropyOp>(op)) {
      logits = cast<RankedTensorType>(ce.getLogits().getType());
      vocab = logits.getShape().back();
    } else if (auto target = dyn_cast<moe::VocabTargetLogitOp>(op)) {
      logits = cast<RankedTensorType>(target.getLogits().getType());
      vocab = target.getVocabSize();
    }
  });
  if (!shape || !logits)
    return g;
  g.batch = (*shape)[0];
  g.seqLen = (*shape)[1];
  g.vocab = vocab;
  g.floatDtype = logits.getElementType().isF64() ? 1 : 0;
  return g;
}

/// Which get_param reads must copy the buffer: those with a use after a
/// later write of the same symbol in the same block.
template <typename GetOp, typename SetOp>
void findGetsNeedingCopy(func::FuncOp func, LoweringState &state) {
  if (func.isExternal())
    return;
  Block &block = func.getBody().front();
  DenseMap<Operation *, unsigned> position;
  unsigned n = 0;
  for (Operation &op : block)
    position[&op] = n++;
  for (auto get : block.getOps<GetOp>()) {
    std::optional<unsigned> firstSet;
    for (auto set : block.getOps<SetOp>())
      if (set.getName() == get.getName() && position[set] > position[get] &&
          (!firstSet || position[set] < *firstSet))
        firstSet = position[set];
    if (!firstSet)
      continue;
    for (Operation *user : get->getUsers()) {
      Operation *top = block.findAncestorOpInBlock(*user);
      if (top && position[top] > *firstSet) {
        state.getsNeedingCopy.insert(get);
        break;
      }
    }
  }
}

struct MoELowerToRuntimePass
    : moefold::impl::MoELowerToRuntimePassBase<MoELowerToRuntimePass> {
  void runOnOperation() override;
};

} // namespace

void MoELowerToRuntimePass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  if (failed(checkInput(module)))
    return signalPassFailure();

  LoweringState state;
  Geometry geometry = findGeometry(module);
  // Per-rank programs: group tables, buffer slices, batch split (needs the
  // mesh, erased below).
  if (failed(collectDistribution(module, state, geometry)))
    return signalPassFailure();
  auto keepLayout = [&](BufferInfo &info) {
    auto it = state.buffers.find(info.name);
    if (it == state.buffers.end())
      return;
    info.globalShape = it->second.globalShape;
    info.rankOffsets = it->second.rankOffsets;
  };

  // Parameters (declaration order), then states, become globals.
  std::vector<std::string> order;
  OpBuilder b(ctx);
  for (auto param : llvm::make_early_inc_range(module.getOps<moe::ParamOp>())) {
    BufferInfo info;
    info.name = param.getSymName().str();
    info.globalName = "moefold.param." + info.name;
    RankedTensorType t = param.getTensorType();
    info.type = MemRefType::get(t.getShape(), t.getElementType());
    info.isParam = true;
    info.family = static_cast<int32_t>(param.getFamily());
    moe::InitAttr init = param.getEffectiveInit();
    info.initKind = static_cast<int32_t>(init.getKind());
    info.initValue = init.getValueAsDouble();
    info.paramId = paramIdOf(info.name);
    b.setInsertionPoint(param);
    memref::GlobalOp::create(b, param.getLoc(), info.globalName,
                             b.getStringAttr("private"), info.type,
                             b.getUnitAttr(), /*constant=*/false,
                             b.getI64IntegerAttr(64));
    order.push_back(info.name);
    keepLayout(info);
    state.buffers[info.name] = info;
    param.erase();
  }
  for (auto st : llvm::make_early_inc_range(module.getOps<moe::StateOp>())) {
    BufferInfo info;
    info.name = st.getSymName().str();
    info.globalName = "moefold.state." + info.name;
    RankedTensorType t = st.getTensorType();
    info.type = MemRefType::get(t.getShape(), t.getElementType());
    info.isParam = false;
    info.family = -1;
    moe::InitAttr init = st.getEffectiveInit();
    info.initKind = static_cast<int32_t>(init.getKind());
    info.initValue = init.getValueAsDouble();
    info.paramId = paramIdOf(info.name);
    // moe-build-train-step names states <role>.<param>.
    info.role = "state";
    for (StringRef role : {"grad", "adam_m", "adam_v"}) {
      StringRef name = info.name;
      if (name.consume_front(role) && name.consume_front(".") &&
          state.buffers.count(name) && state.buffers[name].isParam) {
        info.role = role.str();
        info.of = name.str();
      }
    }
    b.setInsertionPoint(st);
    memref::GlobalOp::create(
        b, st.getLoc(), info.globalName, b.getStringAttr("private"), info.type,
        b.getUnitAttr(), /*constant=*/false, b.getI64IntegerAttr(64));
    order.push_back(info.name);
    keepLayout(info);
    state.buffers[info.name] = info;
    st.erase();
  }
  for (auto func : module.getOps<func::FuncOp>()) {
    findGetsNeedingCopy<moe::GetParamOp, moe::SetParamOp>(func, state);
    findGetsNeedingCopy<moe::GetStateOp, moe::SetStateOp>(func, state);
  }
  for (auto mesh : llvm::make_early_inc_range(module.getOps<spmd::MeshOp>()))
    mesh.erase();

  for (auto func : module.getOps<func::FuncOp>())
    stripMoEAttributes(func);

  // The conversion proper.
  TypeConverter converter;
  populateTypeConversion(converter);
  ConversionTarget target(*ctx);
  target.addLegalDialect<memref::MemRefDialect, LLVM::LLVMDialect>();
  target.addDynamicallyLegalDialect<arith::ArithDialect, math::MathDialect>(
      [](Operation *op) { return !hasTensorType(op); });
  target.addIllegalDialect<moe::MoEDialect, spmd::SPMDDialect>();
  target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
    return converter.isSignatureLegal(op.getFunctionType()) &&
           converter.isLegal(&op.getBody());
  });
  target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
      [&](Operation *op) { return converter.isLegal(op); });
  RewritePatternSet patterns(ctx);
  populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                 converter);
  populateReturnOpTypeConversionPattern(patterns, converter);
  populateCallOpTypeConversionPattern(patterns, converter);
  populateMoEToRuntimePatterns(converter, patterns, state);
  populateSPMDToRuntimePatterns(converter, patterns, state);
  if (failed(applyPartialConversion(module, target, std::move(patterns))))
    return signalPassFailure();

  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal())
      continue;
    if (func.isPublic())
      applyEntryABI(func);
    if (failed(insertDeallocations(func)))
      return signalPassFailure();
  }
  buildRegisterFunction(module, state, order, geometry);
  declareRuntimeFunctions(module, state);
}
