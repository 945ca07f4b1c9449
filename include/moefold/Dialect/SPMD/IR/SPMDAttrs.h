//===- SPMDAttrs.h - spmd attributes ----------------------------*- C++ -*-===//

#ifndef MOEFOLD_DIALECT_SPMD_IR_SPMDATTRS_H
#define MOEFOLD_DIALECT_SPMD_IR_SPMDATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "moefold/Dialect/SPMD/IR/SPMDEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "moefold/Dialect/SPMD/IR/SPMDAttrs.h.inc"

#endif // MOEFOLD_DIALECT_SPMD_IR_SPMDATTRS_H
