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

#include "mlir/Dialect/Func/IR/FuncOps.h"
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
};

/// The batch geometry moefold_register reports (all zero when unknown).
struct Geometry {
  int64_t batch = 0, seqLen = 0, vocab = 0;
  int32_t floatDtype = -1; ///< MFRT_F32 = 0, MFRT_F64 = 1
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

  void useRuntimeFunction(mlir::StringAttr name, mlir::FunctionType type) {
    runtimeFunctions.insert({name, type});
  }
};

/// Name prefix of the runtime MLIR ABI.
inline constexpr llvm::StringLiteral kShimPrefix = "mfrt_mlir_";

/// Tensor -> memref (identity layout); everything else unchanged.
void populateTypeConversion(mlir::TypeConverter &converter);

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
