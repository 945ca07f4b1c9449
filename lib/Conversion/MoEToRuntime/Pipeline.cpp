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

void moefold::buildRuntimeToLLVMPipeline(OpPassManager &pm, bool device) {
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.useGenericFunctions = device;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

namespace {
struct LowerToLLVMOptions : PassPipelineOptions<LowerToLLVMOptions> {
  Option<bool> device{
      *this, "device",
      llvm::cl::desc("Keep every buffer in device memory (the cuda backends): "
                     "moe-runtime-to-device, generic allocation functions"),
      llvm::cl::init(false)};
};
} // namespace

void moefold::registerMoEToLLVMPipeline() {
  PassPipelineRegistration<LowerToLLVMOptions>(
      "moe-lower-to-llvm",
      "Lowers moe programs to runtime calls and then to the LLVM dialect "
      "(moe-lower-to-runtime, [device: moe-runtime-to-device], "
      "finalize-memref-to-llvm, math/arith/index/func to LLVM, "
      "reconcile-unrealized-casts).",
      [](OpPassManager &pm, const LowerToLLVMOptions &options) {
        pm.addPass(createMoELowerToRuntimePass());
        if (options.device)
          pm.addPass(createMoERuntimeToDevicePass());
        buildRuntimeToLLVMPipeline(pm, options.device);
      });
}
