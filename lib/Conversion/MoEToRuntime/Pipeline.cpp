//===- Pipeline.cpp - runtime-call IR to the LLVM dialect -----------------===//

#include "moefold/Conversion/MoEToRuntime/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void moefold::buildRuntimeToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void moefold::registerMoEToLLVMPipeline() {
  PassPipelineRegistration<>(
      "moe-lower-to-llvm",
      "Lowers moe programs to runtime calls and then to the LLVM dialect "
      "(moe-lower-to-runtime, finalize-memref-to-llvm, math/arith/index/func "
      "to LLVM, reconcile-unrealized-casts).",
      [](OpPassManager &pm) {
        pm.addPass(createMoELowerToRuntimePass());
        buildRuntimeToLLVMPipeline(pm);
      });
}
