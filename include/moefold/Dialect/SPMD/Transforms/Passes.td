//===- Passes.td - spmd passes ------------------------------*- tablegen -*-===//

#ifndef MOEFOLD_DIALECT_SPMD_TRANSFORMS_PASSES_TD
#define MOEFOLD_DIALECT_SPMD_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

#endif // MOEFOLD_DIALECT_SPMD_TRANSFORMS_PASSES_TD
