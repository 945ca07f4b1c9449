//===- MoEOps.h - moe operations ------------------------------*- C++ -*-===//

#ifndef MOEFOLD_DIALECT_MOE_IR_MOEOPS_H
#define MOEFOLD_DIALECT_MOE_IR_MOEOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "moefold/Dialect/MoE/IR/MoEAttrs.h"
#include "moefold/Dialect/MoE/IR/MoEDialect.h"
#include "moefold/Dialect/MoE/IR/MoEInterfaces.h"
#include "moefold/Dialect/MoE/IR/MoEResources.h"
#include "moefold/Dialect/SPMD/IR/SPMDAttrs.h"

#define GET_OP_CLASSES
#include "moefold/Dialect/MoE/IR/MoEOps.h.inc"

#endif // MOEFOLD_DIALECT_MOE_IR_MOEOPS_H
