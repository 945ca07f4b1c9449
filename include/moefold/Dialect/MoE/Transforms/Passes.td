//===- Passes.td - moe passes ------------------------------*- tablegen -*-===//

#ifndef MOEFOLD_DIALECT_MOE_TRANSFORMS_PASSES_TD
#define MOEFOLD_DIALECT_MOE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

#endif // MOEFOLD_DIALECT_MOE_TRANSFORMS_PASSES_TD
