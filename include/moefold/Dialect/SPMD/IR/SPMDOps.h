//===- SPMDOps.h - spmd operations ------------------------------*- C++ -*-===//

#ifndef MOEFOLD_DIALECT_SPMD_IR_SPMDOPS_H
#define MOEFOLD_DIALECT_SPMD_IR_SPMDOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "moefold/Dialect/SPMD/IR/SPMDAttrs.h"
#include "moefold/Dialect/SPMD/IR/SPMDDialect.h"

#include "moefold/Dialect/SPMD/IR/SPMDInterfaces.h.inc"

#define GET_OP_CLASSES
#include "moefold/Dialect/SPMD/IR/SPMDOps.h.inc"

namespace moefold::spmd {

/// Resolves `mesh` from `from` (nearest symbol table up the parent chain).
/// Returns a null MeshOp when the symbol is missing or is not an spmd.mesh.
MeshOp lookupMesh(mlir::Operation *from, mlir::FlatSymbolRefAttr mesh,
                  mlir::SymbolTableCollection &symbolTable);

} // namespace moefold::spmd

#endif // MOEFOLD_DIALECT_SPMD_IR_SPMDOPS_H
