//===- SPMDDialect.h - spmd dialect -----------------------------*- C++ -*-===//

#ifndef MOEFOLD_DIALECT_SPMD_IR_SPMDDIALECT_H
#define MOEFOLD_DIALECT_SPMD_IR_SPMDDIALECT_H

#include "mlir/IR/Dialect.h"

#include "moefold/Dialect/SPMD/IR/SPMDOpsDialect.h.inc"

#endif // MOEFOLD_DIALECT_SPMD_IR_SPMDDIALECT_H
