//===- Passes.h - moe to runtime conversion -------------------*- C++ -*-===//

#ifndef MOEFOLD_CONVERSION_MOETORUNTIME_PASSES_H
#define MOEFOLD_CONVERSION_MOETORUNTIME_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace moefold {

#define GEN_PASS_DECL
#include "moefold/Conversion/MoEToRuntime/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "moefold/Conversion/MoEToRuntime/Passes.h.inc"

/// The module attribute (a dictionary of strings) moefold_register() passes
/// to the runtime as metadata (mesh, optimizer, model file, ...).
inline constexpr llvm::StringLiteral kMetadataAttrName = "moefold.metadata";

/// Appends the standard lowering of the runtime-call IR to the LLVM dialect:
/// finalize-memref-to-llvm, convert-func-to-llvm, arith/index to LLVM,
/// reconcile-unrealized-casts. `device`: the program keeps its buffers in
/// device memory (after moe-runtime-to-device), so memref.alloc/dealloc call
/// the generic _mlir_memref_to_llvm_alloc/_free the cuda MLIR ABI implements.
void buildRuntimeToLLVMPipeline(mlir::OpPassManager &pm, bool device = false);

/// Registers `moe-lower-to-llvm`: moe-lower-to-runtime followed by
/// buildRuntimeToLLVMPipeline, for moefold-opt; with `device=true`
/// moe-runtime-to-device in between (the cuda backends).
void registerMoEToLLVMPipeline();

} // namespace moefold

#endif // MOEFOLD_CONVERSION_MOETORUNTIME_PASSES_H
