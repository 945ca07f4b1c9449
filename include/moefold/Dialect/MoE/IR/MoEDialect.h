//===- MoEDialect.h - moe dialect -----------------------------*- C++ -*-===//

#ifndef MOEFOLD_DIALECT_MOE_IR_MOEDIALECT_H
#define MOEFOLD_DIALECT_MOE_IR_MOEDIALECT_H

#include "mlir/IR/Dialect.h"
#include "moefold/Dialect/SPMD/IR/SPMDDialect.h"

#include "moefold/Dialect/MoE/IR/MoEOpsDialect.h.inc"

#endif // MOEFOLD_DIALECT_MOE_IR_MOEDIALECT_H
