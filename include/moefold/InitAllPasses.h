//===- InitAllPasses.h - register every moefold pass ------------*- C++ -*-===//

#ifndef MOEFOLD_INITALLPASSES_H
#define MOEFOLD_INITALLPASSES_H

#include "moefold/Conversion/MoEToRuntime/Passes.h"
#include "moefold/Dialect/MoE/Transforms/Passes.h"
#include "moefold/Dialect/SPMD/Transforms/Passes.h"

#include "mlir/Transforms/Passes.h"

namespace moefold {

inline void registerAllPasses() {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  spmd::registerSPMDPasses();
  moe::registerMoEPasses();
  registerMoEToRuntimePasses();
  registerMoEToLLVMPipeline();
}

} // namespace moefold

#endif // MOEFOLD_INITALLPASSES_H
