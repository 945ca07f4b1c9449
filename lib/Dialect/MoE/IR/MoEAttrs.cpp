//===- MoEAttrs.cpp - moe attributes --------------------------------------===//

#include "moefold/Dialect/MoE/IR/MoEAttrs.h"
#include "moefold/Dialect/MoE/IR/MoEDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace moefold::moe;

#include "moefold/Dialect/MoE/IR/MoEEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "moefold/Dialect/MoE/IR/MoEAttrs.cpp.inc"

void MoEDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "moefold/Dialect/MoE/IR/MoEAttrs.cpp.inc"
      >();
}
