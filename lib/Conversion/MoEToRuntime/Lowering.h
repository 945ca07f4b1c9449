//===- Lowering.h - shared state of moe-lower-to-runtime --------*- C++ -*-===//
//
// Internal to lib/Conversion/MoEToRuntime: the pieces the pass runs in order
// (LowerToRuntime.cpp): checks, globals, the op patterns (OpLowerings.cpp),
// the entry ABI and deallocation (Buffers.cpp), moefold_register
// (Registration.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_LIB_CONVERSION_MOETORUNTIME_LOWERING_H
#define MOEFOLD_LIB_CONVERSION_MOETORUNTIME_LOWERING_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"

#include <string>

namespace moefold::lowering {

/// A parameter or state buffer: what moefold_register tells the runtime.
struct BufferInfo {
  std::string name;       ///< moe.param / moe.state symbol
  std::string globalName; ///< the memref.global
  mlir::MemRefType type;
  bool isParam = true;
  int32_t family = -1;  ///< moe::Family for params, -1 for states
  int32_t initKind = 0; ///< moe::InitKind
  double initValue = 0;
  uint64_t paramId = 0;
  std::string role = "param"; ///< "param", "grad", "adam_m", "adam_v", "state"
  std::string of;             ///< the parameter a state belongs to
  /// Multi-rank programs: the global shape of the tensor this buffer is a
  /// slice of and each rank's slice offsets ([world][rank]); empty when
  /// every rank holds the whole tensor.
  llvm::SmallVector<int64_t> globalShape;
  std::vector<int64_t> rankOffsets;
};

/// One group table: the ranks of every group over some axes of a view, as
/// the placement algebra computes them (MeshLayout::getGroups).
struct GroupTableInfo {
  std::string name; ///< "dense.tp", "dense.dp+tp"
  int64_t numGroups = 0, groupSize = 0;
  std::vector<int64_t> members; ///< numGroups x groupSize
};

/// The batch geometry moefold_register reports (all zero when unknown).
struct Geometry {
  int64_t batch = 0, seqLen = 0, vocab = 0;
  int32_t floatDtype = -1; ///< MFRT_F32 = 0, MFRT_F64 = 1
  /// Multi-rank programs: rows of the global batch and each rank's first
  /// row (empty when the batch is not split).
  int64_t globalBatch = 0;
  std::vector<int64_t> rankRows;
};

/// State shared by the patterns of one pass run.
struct LoweringState {
  /// Runtime functions called so far, declared after the conversion.
  llvm::MapVector<mlir::StringAttr, mlir::FunctionType> runtimeFunctions;
  /// Buffers by symbol name.
  llvm::StringMap<BufferInfo> buffers;
  /// get_param/get_state ops whose value must be copied out of the global
  /// (it is used after a later set of the same symbol).
  llvm::DenseSet<mlir::Operation *> getsNeedingCopy;
  /// Ranks the program runs on (1: a single-rank program).
  int64_t world = 1;
  /// Group tables of the collectives, by id; `groupIds` maps
  /// "<view>.<axis>+<axis>" to the id.
  std::vector<GroupTableInfo> groups;
  llvm::StringMap<int64_t> groupIds;

  void useRuntimeFunction(mlir::StringAttr name, mlir::FunctionType type) {
    runtimeFunctions.insert({name, type});
  }
};

/// Name prefix of the runtime MLIR ABI.
inline constexpr llvm::StringLiteral kShimPrefix = "mfrt_mlir_";

/// "f32" or "f64" for a float element type (the pass checked it first).
inline llvm::StringRef floatSuffix(mlir::Type type) {
  mlir::Type element = mlir::getElementTypeOrSelf(type);
  return element.isF64() ? "f64" : "f32";
}

inline mlir::MemRefType memrefTypeOf(mlir::Type tensorType) {
  auto t = mlir::cast<mlir::RankedTensorType>(tensorType);
  return mlir::MemRefType::get(t.getShape(), t.getElementType());
}

/// Builds the argument list of one runtime call.
class CallBuilder {
  using Value = mlir::Value;
  using Type = mlir::Type;
  using OpBuilder = mlir::OpBuilder;
  using Location = mlir::Location;
  using StringRef = llvm::StringRef;
  using TypeRange = mlir::TypeRange;

public:
  CallBuilder(OpBuilder &b, Location loc, LoweringState &state)
      : b(b), loc(loc), state(state) {}

  /// A fresh 64-byte aligned buffer for a result of tensor type `type`.
  Value alloc(Type tensorType) {
    return mlir::memref::AllocOp::create(b, loc, memrefTypeOf(tensorType),
                                         b.getI64IntegerAttr(64));
  }
  /// Appends a memref argument as an unranked memref.
  CallBuilder &buffer(Value memref) {
    auto type = mlir::cast<mlir::MemRefType>(memref.getType());
    auto unranked = mlir::UnrankedMemRefType::get(type.getElementType(), 0);
    args.push_back(mlir::memref::CastOp::create(b, loc, unranked, memref));
    return *this;
  }
  CallBuilder &i64(int64_t v) {
    args.push_back(mlir::arith::ConstantIntOp::create(b, loc, v, 64));
    return *this;
  }
  CallBuilder &i32(int64_t v) {
    args.push_back(mlir::arith::ConstantIntOp::create(b, loc, v, 32));
    return *this;
  }
  CallBuilder &f64(double v) {
    args.push_back(mlir::arith::ConstantFloatOp::create(b, loc, b.getF64Type(),
                                                        llvm::APFloat(v)));
    return *this;
  }
  /// Appends an already built scalar value.
  CallBuilder &value(Value v) {
    args.push_back(v);
    return *this;
  }
  /// Appends the f64 value of a 0-d float memref.
  CallBuilder &scalarF64(Value memref) {
    Value v = mlir::memref::LoadOp::create(b, loc, memref, mlir::ValueRange{});
    if (!v.getType().isF64())
      v = mlir::arith::ExtFOp::create(b, loc, b.getF64Type(), v);
    return value(v);
  }
  /// Appends the i32 value (0/1) of a 0-d i1 memref.
  CallBuilder &flagI32(Value memref) {
    Value v = mlir::memref::LoadOp::create(b, loc, memref, mlir::ValueRange{});
    return value(mlir::arith::ExtUIOp::create(b, loc, b.getI32Type(), v));
  }
  /// Calls mfrt_mlir_<base>_<f32|f64> (suffix from `floatType`).
  mlir::func::CallOp call(StringRef base, Type floatType,
                          TypeRange results = {}) {
    return callNamed((kShimPrefix + base + "_" + floatSuffix(floatType)).str(),
                     results);
  }
  /// Calls the runtime function `name`.
  mlir::func::CallOp callNamed(StringRef name, TypeRange results = {}) {
    llvm::SmallVector<Type> types;
    for (Value a : args)
      types.push_back(a.getType());
    mlir::StringAttr sym = b.getStringAttr(name);
    state.useRuntimeFunction(
        sym, b.getFunctionType(types, llvm::SmallVector<Type>(results.begin(),
                                                              results.end())));
    return mlir::func::CallOp::create(b, loc, sym, results, args);
  }

private:
  OpBuilder &b;
  Location loc;
  LoweringState &state;
  llvm::SmallVector<Value> args;
};

/// The key of a group table: "<view>.<axis>[+<axis>...]".
std::string groupKey(llvm::StringRef view, mlir::ArrayAttr axes);

/// Tensor -> memref (identity layout); everything else unchanged.
void populateTypeConversion(mlir::TypeConverter &converter);

/// Multi-rank programs (the output of moe-partition): the world size, one
/// group table per (view, axes) a typed spmd op uses, every buffer's global
/// shape and rank slices, and the batch split. Leaves `state.world == 1`
/// for single-rank programs (no spmd op, no `global_type`). Reports errors
/// at the ops.
mlir::LogicalResult collectDistribution(mlir::ModuleOp module,
                                        LoweringState &state,
                                        Geometry &geometry);

/// Patterns for the spmd ops (collectives and conversions) and for the
/// arith/math ops on 0-d tensors moe-partition emits.
void populateSPMDToRuntimePatterns(mlir::TypeConverter &converter,
                                   mlir::RewritePatternSet &patterns,
                                   LoweringState &state);

/// Whether `op` is an arith/math op on tensors that the lowering handles;
/// `why` says what is missing otherwise.
bool isSupportedTensorArith(mlir::Operation *op, std::string &why);

/// One pattern per moe op with a runtime lowering.
void populateMoEToRuntimePatterns(mlir::TypeConverter &converter,
                                  mlir::RewritePatternSet &patterns,
                                  LoweringState &state);

/// The moe ops populateMoEToRuntimePatterns lowers (by operation name),
/// plus the symbol ops (param, state) the pass turns into globals.
bool hasRuntimeLowering(llvm::StringRef opName);

/// Public functions: 0-d float memref arguments/results become f64 values,
/// 0-d i1 results i1 values; marks them llvm.emit_c_interface.
void applyEntryABI(mlir::func::FuncOp func);

/// Frees every memref.alloc of `func` after its last use (through
/// memref.cast aliases); buffers the function returns are left alone.
mlir::LogicalResult insertDeallocations(mlir::func::FuncOp func);

/// Adds `moefold_register()` to `module`.
void buildRegisterFunction(mlir::ModuleOp module, LoweringState &state,
                           llvm::ArrayRef<std::string> bufferOrder,
                           const Geometry &geometry);

/// Declares every runtime function the patterns called.
void declareRuntimeFunctions(mlir::ModuleOp module, LoweringState &state);

/// 64-bit FNV-1a of `name`: the parameter id of the Philox stream.
uint64_t paramIdOf(llvm::StringRef name);

} // namespace moefold::lowering

#endif // MOEFOLD_LIB_CONVERSION_MOETORUNTIME_LOWERING_H
