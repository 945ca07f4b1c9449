//===- SPMDOps.h - spmd operations ------------------------------*- C++ -*-===//

#ifndef MOEFOLD_DIALECT_SPMD_IR_SPMDOPS_H
#define MOEFOLD_DIALECT_SPMD_IR_SPMDOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "moefold/Dialect/SPMD/IR/SPMDAttrs.h"
#include "moefold/Dialect/SPMD/IR/SPMDDialect.h"

#define GET_OP_CLASSES
#include "moefold/Dialect/SPMD/IR/SPMDOps.h.inc"

#endif // MOEFOLD_DIALECT_SPMD_IR_SPMDOPS_H
