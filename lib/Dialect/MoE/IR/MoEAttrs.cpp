//===- MoEAttrs.cpp - moe attributes --------------------------------------===//

#include "moefold/Dialect/MoE/IR/MoEAttrs.h"
#include "moefold/Dialect/MoE/IR/MoEDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

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

//===----------------------------------------------------------------------===//
// InitAttr
//===----------------------------------------------------------------------===//

bool InitAttr::hasValue(InitKind kind) {
  switch (kind) {
  case InitKind::Zeros:
  case InitKind::Ones:
    return false;
  case InitKind::Constant:
  case InitKind::Normal:
  case InitKind::TruncatedNormal:
  case InitKind::Uniform:
    return true;
  }
  llvm_unreachable("unknown init kind");
}

LogicalResult InitAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               InitKind kind, APFloat value) {
  double v = value.convertToDouble();
  if (!std::isfinite(v))
    return emitError() << stringifyInitKind(kind)
                       << " needs a finite value, got " << v;
  switch (kind) {
  case InitKind::Zeros:
  case InitKind::Ones:
    if (v != 0.0)
      return emitError() << stringifyInitKind(kind) << " takes no value, got "
                         << v;
    return success();
  case InitKind::Constant:
    return success();
  case InitKind::Normal:
  case InitKind::TruncatedNormal:
  case InitKind::Uniform:
    if (v <= 0.0)
      return emitError() << stringifyInitKind(kind)
                         << " needs a positive scale, got " << v;
    return success();
  }
  llvm_unreachable("unknown init kind");
}

void InitAttr::printBare(AsmPrinter &printer) const {
  printer << stringifyInitKind(getKind());
  if (!hasValue(getKind()))
    return;
  printer << "(";
  printer.printFloat(getValue());
  printer << ")";
}

InitAttr InitAttr::parseBare(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  FailureOr<InitKind> kind = FieldParser<InitKind>::parse(parser);
  if (failed(kind))
    return {};
  double value = 0.0;
  if (hasValue(*kind) && (parser.parseLParen() || parser.parseFloat(value) ||
                          parser.parseRParen()))
    return {};
  return parser.getChecked<InitAttr>(loc, parser.getContext(), *kind,
                                     APFloat(value));
}

Attribute InitAttr::parse(AsmParser &parser, Type) {
  if (parser.parseLess())
    return {};
  InitAttr attr = parseBare(parser);
  if (!attr || parser.parseGreater())
    return {};
  return attr;
}

void InitAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printBare(printer);
  printer << ">";
}
