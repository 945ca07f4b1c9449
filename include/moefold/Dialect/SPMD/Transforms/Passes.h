//===- Passes.h - spmd passes ---------------------------------*- C++ -*-===//

#ifndef MOEFOLD_DIALECT_SPMD_TRANSFORMS_PASSES_H
#define MOEFOLD_DIALECT_SPMD_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

namespace moefold::spmd {

#define GEN_PASS_DECL
#include "moefold/Dialect/SPMD/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "moefold/Dialect/SPMD/Transforms/Passes.h.inc"

} // namespace moefold::spmd

#endif // MOEFOLD_DIALECT_SPMD_TRANSFORMS_PASSES_H
