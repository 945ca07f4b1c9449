//===- SPMDDialect.cpp - spmd dialect registration ------------------------===//

#include "moefold/Dialect/SPMD/IR/SPMDDialect.h"

#include "moefold/Dialect/SPMD/IR/SPMDAttrs.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace moefold::spmd;

#include "moefold/Dialect/SPMD/IR/SPMDOpsDialect.cpp.inc"

void SPMDDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "moefold/Dialect/SPMD/IR/SPMDOps.cpp.inc"
      >();
}
