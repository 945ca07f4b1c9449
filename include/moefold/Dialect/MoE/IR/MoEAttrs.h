//===- MoEAttrs.h - moe attributes ----------------------------*- C++ -*-===//

#ifndef MOEFOLD_DIALECT_MOE_IR_MOEATTRS_H
#define MOEFOLD_DIALECT_MOE_IR_MOEATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "moefold/Dialect/MoE/IR/MoEEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "moefold/Dialect/MoE/IR/MoEAttrs.h.inc"

#endif // MOEFOLD_DIALECT_MOE_IR_MOEATTRS_H
