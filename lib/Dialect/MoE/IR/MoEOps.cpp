//===- MoEOps.cpp - moe operations --------------------------------------===//

#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace moefold::moe;

#define GET_OP_CLASSES
#include "moefold/Dialect/MoE/IR/MoEOps.cpp.inc"
