//===- RuntimeToDevice.cpp - device-resident runtime-call programs --------===//
//
// moe-runtime-to-device: after moe-lower-to-runtime every buffer is passed to
// the runtime by reference, and the program itself touches buffer memory in
// three ways only: memref.get_global (the host globals of parameters and
// states), 0-d memref.load/store (loss, norm, scale, flags, lr, step) and
// memref.copy (set_param/set_state, copy on read after write). For the cuda
// backends these become runtime calls that work on device memory
// (runtime/mlir_abi/DeviceShims.cpp); allocations need no rewrite (the LLVM
// pipeline routes them to the generic allocation functions). See
// docs/gpu-programs.md.
//
//===----------------------------------------------------------------------===//

#include "moefold/Conversion/MoEToRuntime/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/TypeSwitch.h"

namespace moefold {
#define GEN_PASS_DEF_MOERUNTIMETODEVICEPASS
#include "moefold/Conversion/MoEToRuntime/Passes.h.inc"
} // namespace moefold

using namespace mlir;

namespace {

/// The function that must keep the host globals (the registry's mirrors).
constexpr llvm::StringLiteral kRegisterFn = "moefold_register";

/// "f32", "f64", "i1", "i32", "i64"; "" for other element types.
std::string suffixOf(Type t) {
  if (t.isF32())
    return "f32";
  if (t.isF64())
    return "f64";
  if (t.isInteger(1) || t.isInteger(32) || t.isInteger(64))
    return "i" + std::to_string(t.getIntOrFloatBitWidth());
  return "";
}

class Rewriter {
public:
  explicit Rewriter(ModuleOp module) : module_(module), table_(module) {}

  LogicalResult run() {
    module_.walk([&](func::FuncOp fn) {
      if (!fn.isDeclaration() && fn.getSymName() != kRegisterFn)
        for (Block &block : fn.getBody())
          forwardScalarLoads(block);
    });
    bool ok = true;
    SmallVector<Operation *> work;
    module_.walk([&](func::FuncOp fn) {
      if (fn.isDeclaration() || fn.getSymName() == kRegisterFn)
        return;
      fn.walk([&](Operation *op) {
        if (isa<memref::GetGlobalOp, memref::LoadOp, memref::StoreOp,
                memref::CopyOp>(op))
          work.push_back(op);
      });
    });
    // Any order: a rewritten get_global replaces every use of the host
    // global, including the casts the other rewrites made of it.
    for (Operation *op : work) {
      LogicalResult r =
          llvm::TypeSwitch<Operation *, LogicalResult>(op)
              .Case([&](memref::GetGlobalOp g) { return rewrite(g); })
              .Case([&](memref::LoadOp l) { return rewrite(l); })
              .Case([&](memref::StoreOp s) { return rewrite(s); })
              .Case([&](memref::CopyOp c) { return rewrite(c); })
              .Default([](Operation *) { return success(); });
      ok &= succeeded(r);
    }
    return success(ok);
  }

private:
  /// Each host read of a device scalar waits for the device, and the
  /// optimizer reads the same few (scale, apply, lr, step) once per
  /// parameter: a 0-d load whose buffer nothing touched since an earlier
  /// load of it reuses that value. Any other use of the buffer (or of a cast
  /// of it: a call that may write it, a store, a dealloc) ends the reuse.
  void forwardScalarLoads(Block &block) {
    auto root = [](Value v) {
      while (auto cast = v.getDefiningOp<memref::CastOp>())
        v = cast.getSource();
      return v;
    };
    llvm::DenseMap<Value, Value> known;
    for (Operation &op : llvm::make_early_inc_range(block)) {
      if (auto load = dyn_cast<memref::LoadOp>(op);
          load && load.getMemRefType().getRank() == 0) {
        Value buffer = root(load.getMemRef());
        auto it = known.find(buffer);
        if (it != known.end()) {
          load.getResult().replaceAllUsesWith(it->second);
          load.erase();
        } else {
          known[buffer] = load.getResult();
        }
        continue;
      }
      for (Value operand : op.getOperands())
        if (isa<BaseMemRefType>(operand.getType()))
          known.erase(root(operand));
    }
  }

  /// `value` cast to an unranked memref (operand of a runtime call).
  Value unranked(OpBuilder &b, Location loc, Value value) {
    auto type = cast<MemRefType>(value.getType());
    return memref::CastOp::create(
        b, loc,
        UnrankedMemRefType::get(type.getElementType(), type.getMemorySpace()),
        value);
  }

  /// A private declaration of `name`, created on first use.
  func::FuncOp declare(StringRef name, FunctionType type) {
    if (auto fn = table_.lookup<func::FuncOp>(name))
      return fn;
    OpBuilder b = OpBuilder::atBlockEnd(module_.getBody());
    auto fn = func::FuncOp::create(b, module_.getLoc(), name, type);
    fn.setPrivate();
    table_.insert(fn);
    return fn;
  }

  /// The suffix of `type`'s element type, or an error on `op`.
  FailureOr<std::string> suffix(Operation *op, MemRefType type) {
    std::string s = suffixOf(type.getElementType());
    if (s.empty())
      return op->emitOpError("on ")
             << type << " has no device lowering (element types: f32, f64, "
             << "i1, i32, i64)";
    return s;
  }

  LogicalResult rewrite(memref::GetGlobalOp g) {
    MemRefType type = g.getType();
    // The registry holds f32, f64 and i32 buffers only.
    std::string s = suffixOf(type.getElementType());
    if (s != "f32" && s != "f64" && s != "i32")
      return g.emitOpError("of ")
             << type << " has no device twin (element types: f32, f64, i32)";
    OpBuilder b(g->getContext());
    b.setInsertionPointAfter(g);
    Location loc = g.getLoc();
    Value host = unranked(b, loc, g.getResult());
    Type u = host.getType();
    func::FuncOp fn = declare("mfrt_mlir_device_twin_" + s,
                              b.getFunctionType({u}, {u}));
    Value twin = func::CallOp::create(b, loc, fn, host).getResult(0);
    Value ranked = memref::CastOp::create(b, loc, type, twin);
    g.getResult().replaceAllUsesExcept(ranked, host.getDefiningOp());
    return success();
  }

  LogicalResult rewrite(memref::LoadOp l) {
    MemRefType type = l.getMemRefType();
    if (type.getRank() != 0)
      return l.emitOpError("of a buffer with dimensions (")
             << type << ") has no device lowering: only 0-d scalars are read "
             << "on the host";
    FailureOr<std::string> s = suffix(l, type);
    if (failed(s))
      return failure();
    OpBuilder b(l);
    Location loc = l.getLoc();
    Type element = type.getElementType();
    bool flag = element.isInteger(1);
    Type carried = flag ? b.getI32Type() : element;
    Value buffer = unranked(b, loc, l.getMemRef());
    func::FuncOp fn =
        declare("mfrt_mlir_load_scalar_" + *s,
                b.getFunctionType({buffer.getType()}, {carried}));
    Value v = func::CallOp::create(b, loc, fn, buffer).getResult(0);
    if (flag)
      v = arith::TruncIOp::create(b, loc, element, v);
    l.getResult().replaceAllUsesWith(v);
    l.erase();
    return success();
  }

  /// 0-d stores (scalars) and 1-d stores (the per-rank integer tables of
  /// the spmd lowering, e.g. vocabulary offsets: one element each).
  LogicalResult rewrite(memref::StoreOp st) {
    MemRefType type = st.getMemRefType();
    if (type.getRank() > 1)
      return st.emitOpError("into a buffer with dimensions (")
             << type << ") has no device lowering: only 0-d scalars and "
             << "elements of 1-d tables are written on the host";
    FailureOr<std::string> s = suffix(st, type);
    if (failed(s))
      return failure();
    OpBuilder b(st);
    Location loc = st.getLoc();
    Value v = st.getValueToStore();
    if (v.getType().isInteger(1))
      v = arith::ExtUIOp::create(b, loc, b.getI32Type(), v);
    Value buffer = unranked(b, loc, st.getMemRef());
    if (type.getRank() == 0) {
      func::FuncOp fn =
          declare("mfrt_mlir_store_scalar_" + *s,
                  b.getFunctionType({v.getType(), buffer.getType()}, {}));
      func::CallOp::create(b, loc, fn, ValueRange{v, buffer});
    } else {
      Value index = arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                               st.getIndices()[0]);
      func::FuncOp fn = declare(
          "mfrt_mlir_store_element_" + *s,
          b.getFunctionType({v.getType(), b.getI64Type(), buffer.getType()},
                            {}));
      func::CallOp::create(b, loc, fn, ValueRange{v, index, buffer});
    }
    st.erase();
    return success();
  }

  LogicalResult rewrite(memref::CopyOp c) {
    auto type = dyn_cast<MemRefType>(c.getSource().getType());
    if (!type)
      return c.emitOpError("of an unranked buffer has no device lowering");
    FailureOr<std::string> s = suffix(c, type);
    if (failed(s))
      return failure();
    OpBuilder b(c);
    Location loc = c.getLoc();
    Value src = unranked(b, loc, c.getSource());
    Value dst = unranked(b, loc, c.getTarget());
    func::FuncOp fn =
        declare("mfrt_mlir_copy_buffer_" + *s,
                b.getFunctionType({src.getType(), dst.getType()}, {}));
    func::CallOp::create(b, loc, fn, ValueRange{src, dst});
    c.erase();
    return success();
  }

  ModuleOp module_;
  SymbolTable table_;
};

struct MoERuntimeToDevicePass
    : moefold::impl::MoERuntimeToDevicePassBase<MoERuntimeToDevicePass> {
  void runOnOperation() override {
    if (failed(Rewriter(getOperation()).run()))
      signalPassFailure();
  }
};

} // namespace
