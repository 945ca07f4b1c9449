//===- SPMDOps.cpp - spmd operations --------------------------------------===//

#include "moefold/Dialect/SPMD/IR/SPMDOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace moefold::spmd;

#define GET_OP_CLASSES
#include "moefold/Dialect/SPMD/IR/SPMDOps.cpp.inc"
