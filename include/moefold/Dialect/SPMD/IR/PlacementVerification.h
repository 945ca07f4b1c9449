//===- PlacementVerification.h - check a placement against its mesh -*- C++ -*-===//
//
// Ops in any dialect that carry a global placement (moe.param, function
// arguments, ...) verify it with this one function from their
// verifySymbolUses, so every placement diagnostic reads the same.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_SPMD_IR_PLACEMENTVERIFICATION_H
#define MOEFOLD_DIALECT_SPMD_IR_PLACEMENTVERIFICATION_H

#include "moefold/Dialect/SPMD/IR/SPMDAttrs.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/SymbolTable.h"

namespace moefold::spmd {

/// Verifies `placement` of a global tensor of type `type` used by `user`:
/// the mesh symbol resolves to an `spmd.mesh`, every listed axis exists in
/// the named view, every sharded dimension is in range for `type`, and every
/// sharded static dimension is divisible by the product of the sizes of the
/// axes that shard it. Diagnostics are emitted at `user` and name the
/// placement, the axis, the dimension and the numbers involved.
mlir::LogicalResult verifyPlacementUse(mlir::Operation *user,
                                       PlacementAttr placement,
                                       mlir::ShapedType type,
                                       mlir::SymbolTableCollection &symbolTable);

} // namespace moefold::spmd

#endif // MOEFOLD_DIALECT_SPMD_IR_PLACEMENTVERIFICATION_H
