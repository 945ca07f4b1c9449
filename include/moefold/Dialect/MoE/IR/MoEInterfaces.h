//===- MoEInterfaces.h - moe op interfaces --------------------*- C++ -*-===//

#ifndef MOEFOLD_DIALECT_MOE_IR_MOEINTERFACES_H
#define MOEFOLD_DIALECT_MOE_IR_MOEINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "moefold/Dialect/MoE/IR/MoEInterfaces.h.inc"

namespace moefold::moe {

/// `grad` if it is set, else a `moe.fill 0.0` of `type` built at the
/// builder's insertion point: the zero gradient of a value that no
/// gradient reached.
mlir::Value getGradOrZero(mlir::OpBuilder &builder, mlir::Location loc,
                          mlir::Value grad, mlir::Type type);

} // namespace moefold::moe

#endif // MOEFOLD_DIALECT_MOE_IR_MOEINTERFACES_H
