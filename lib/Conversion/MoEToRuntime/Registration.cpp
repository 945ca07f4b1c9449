//===- Registration.cpp - moefold_register() and runtime declarations -----===//
//
// moefold_register() makes the compiled program self-describing: it hands
// the runtime registry (runtime/include/moefold_runtime/mfrt_registry.h)
// every parameter and state buffer, the batch geometry and the module's
// metadata strings, so one driver serves every model.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "moefold/Conversion/MoEToRuntime/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <map>
#include <vector>

using namespace mlir;
using namespace moefold;
using namespace moefold::lowering;

uint64_t moefold::lowering::paramIdOf(StringRef name) {
  uint64_t h = 14695981039346656037ull;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

namespace {

/// Interns NUL-terminated string constants as private llvm.mlir.globals.
class StringTable {
public:
  StringTable(ModuleOp module) : module(module) {}

  Value address(OpBuilder &b, Location loc, StringRef text) {
    auto it = globals.find(text);
    if (it == globals.end()) {
      // In creation order, at the top of the module.
      OpBuilder gb(module.getContext());
      if (last)
        gb.setInsertionPointAfter(last);
      else
        gb.setInsertionPointToStart(module.getBody());
      std::string name = "__moefold_str_" + std::to_string(globals.size());
      std::string value = text.str();
      value.push_back('\0');
      auto type = LLVM::LLVMArrayType::get(gb.getI8Type(), value.size());
      last = LLVM::GlobalOp::create(gb, loc, type, /*isConstant=*/true,
                                    LLVM::Linkage::Internal, name,
                                    gb.getStringAttr(value));
      it = globals.insert({text, name}).first;
    }
    return LLVM::AddressOfOp::create(
        b, loc, LLVM::LLVMPointerType::get(b.getContext()), it->second);
  }

  /// A private constant array of i64 (group tables, rank offsets); equal
  /// arrays share one global.
  Value address(OpBuilder &b, Location loc, ArrayRef<int64_t> values) {
    std::vector<int64_t> key(values.begin(), values.end());
    auto it = arrays.find(key);
    if (it == arrays.end()) {
      OpBuilder gb(module.getContext());
      if (last)
        gb.setInsertionPointAfter(last);
      else
        gb.setInsertionPointToStart(module.getBody());
      std::string name = "__moefold_i64_" + std::to_string(arrays.size());
      auto tensorType = RankedTensorType::get(
          {static_cast<int64_t>(values.size())}, gb.getI64Type());
      auto type = LLVM::LLVMArrayType::get(gb.getI64Type(), values.size());
      last = LLVM::GlobalOp::create(
          gb, loc, type, /*isConstant=*/true, LLVM::Linkage::Internal, name,
          DenseIntElementsAttr::get(tensorType, values));
      it = arrays.insert({key, name}).first;
    }
    return LLVM::AddressOfOp::create(
        b, loc, LLVM::LLVMPointerType::get(b.getContext()), it->second);
  }

private:
  ModuleOp module;
  Operation *last = nullptr;
  llvm::StringMap<std::string> globals;
  std::map<std::vector<int64_t>, std::string> arrays;
};

} // namespace

void moefold::lowering::buildRegisterFunction(ModuleOp module,
                                              LoweringState &state,
                                              ArrayRef<std::string> bufferOrder,
                                              const Geometry &geometry) {
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(b, loc, "moefold_register",
                                   b.getFunctionType({}, {}));
  b.setInsertionPointToStart(func.addEntryBlock());
  StringTable strings(module);
  auto i32 = [&](int64_t v) -> Value {
    return arith::ConstantIntOp::create(b, loc, v, 32);
  };
  auto i64 = [&](int64_t v) -> Value {
    return arith::ConstantIntOp::create(b, loc, v, 64);
  };
  auto call = [&](StringRef name, ArrayRef<Value> args) {
    SmallVector<Type> types;
    for (Value a : args)
      types.push_back(a.getType());
    StringAttr sym = b.getStringAttr(name);
    state.useRuntimeFunction(sym, b.getFunctionType(types, {}));
    func::CallOp::create(b, loc, sym, TypeRange{}, args);
  };

  // Per-rank programs: the world first (the tables below are sized by it).
  if (state.world > 1)
    call("mfrt_register_world", {i64(state.world)});
  for (const std::string &name : bufferOrder) {
    const BufferInfo &info = state.buffers.find(name)->second;
    Value global =
        memref::GetGlobalOp::create(b, loc, info.type, info.globalName);
    Type element = info.type.getElementType();
    Value unranked = memref::CastOp::create(
        b, loc, UnrankedMemRefType::get(element, 0), global);
    std::string fn = "mfrt_register_buffer_";
    fn += element.isF64() ? "f64" : (element.isF32() ? "f32" : "i32");
    call(fn, {strings.address(b, loc, info.name), i32(info.isParam ? 0 : 1),
              i32(info.family), i32(info.initKind),
              arith::ConstantFloatOp::create(b, loc, b.getF64Type(),
                                             APFloat(info.initValue)),
              i64(static_cast<int64_t>(info.paramId)),
              strings.address(b, loc, info.role),
              strings.address(b, loc, info.of), unranked});
  }
  // Slices of global tensors: global shape and every rank's offsets.
  for (const std::string &name : bufferOrder) {
    const BufferInfo &info = state.buffers.find(name)->second;
    if (info.globalShape.empty() || info.rankOffsets.empty())
      continue;
    call("mfrt_register_buffer_layout",
         {strings.address(b, loc, info.name),
          i64(static_cast<int64_t>(info.globalShape.size())),
          strings.address(b, loc, ArrayRef<int64_t>(info.globalShape)),
          strings.address(b, loc, ArrayRef<int64_t>(info.rankOffsets))});
  }
  if (geometry.floatDtype >= 0) {
    call("mfrt_register_model",
         {i64(geometry.batch), i64(geometry.seqLen), i64(geometry.vocab),
          i32(geometry.floatDtype)});
    if (geometry.globalBatch > 0 && !geometry.rankRows.empty())
      call("mfrt_register_batch_layout",
           {i64(geometry.globalBatch),
            strings.address(b, loc, ArrayRef<int64_t>(geometry.rankRows))});
  }
  // The group tables of the collectives, by id.
  for (auto [id, table] : llvm::enumerate(state.groups))
    call("mfrt_register_group_table",
         {i64(static_cast<int64_t>(id)), strings.address(b, loc, table.name),
          i64(table.numGroups), i64(table.groupSize),
          strings.address(b, loc, ArrayRef<int64_t>(table.members))});

  if (auto metadata = module->getAttrOfType<DictionaryAttr>(kMetadataAttrName))
    for (NamedAttribute entry : metadata)
      if (auto value = dyn_cast<StringAttr>(entry.getValue()))
        call("mfrt_register_metadata",
             {strings.address(b, loc, entry.getName().getValue()),
              strings.address(b, loc, value.getValue())});
  func::ReturnOp::create(b, loc);
}

void moefold::lowering::declareRuntimeFunctions(ModuleOp module,
                                                LoweringState &state) {
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  for (auto &[name, type] : state.runtimeFunctions) {
    if (module.lookupSymbol(name))
      continue;
    auto decl = func::FuncOp::create(b, module.getLoc(), name.getValue(), type);
    decl.setPrivate();
  }
}
