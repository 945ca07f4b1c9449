//===- moefold-opt.cpp - mlir-opt for the moefold dialects ----------------===//
//
// Parses, verifies, transforms and prints IR in the moe and spmd dialects plus
// the upstream dialects they are used with.
//
//===----------------------------------------------------------------------===//

#include "moefold/InitAllDialects.h"
#include "moefold/InitAllPasses.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  moefold::registerAllDialects(registry);
  // The output dialects of moe-lower-to-runtime, so its results parse.
  registry.insert<mlir::memref::MemRefDialect, mlir::LLVM::LLVMDialect>();
  moefold::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "moefold optimizer driver: moe and spmd dialects and passes\n",
      registry));
}
