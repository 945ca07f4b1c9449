//===- Passes.h - moe passes ---------------------------------*- C++ -*-===//

#ifndef MOEFOLD_DIALECT_MOE_TRANSFORMS_PASSES_H
#define MOEFOLD_DIALECT_MOE_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"
#include "moefold/Dialect/MoE/IR/MoEDialect.h"
#include "moefold/Dialect/SPMD/IR/SPMDDialect.h"

#include <limits>

namespace moefold::moe {

#define GEN_PASS_DECL
#include "moefold/Dialect/MoE/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "moefold/Dialect/MoE/Transforms/Passes.h.inc"

} // namespace moefold::moe

#endif // MOEFOLD_DIALECT_MOE_TRANSFORMS_PASSES_H
