//===- MoEDialect.cpp - moe dialect registration ------------------------===//

#include "moefold/Dialect/MoE/IR/MoEDialect.h"

#include "moefold/Dialect/MoE/IR/MoEAttrs.h"
#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace moefold::moe;

#include "moefold/Dialect/MoE/IR/MoEOpsDialect.cpp.inc"

void MoEDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "moefold/Dialect/MoE/IR/MoEOps.cpp.inc"
      >();
}
