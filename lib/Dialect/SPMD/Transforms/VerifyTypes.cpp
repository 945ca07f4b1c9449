//===- VerifyTypes.cpp - the local SPMD type checker as a pass ------------===//
//
// Implements spmd-verify-types: runs LocalTypeAnalysis on every function
// that has a typed argument and, with print-types, writes the inferred
// types onto every op as `spmd.types`.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/SPMD/Transforms/Passes.h"

#include "moefold/Dialect/SPMD/Analysis/LocalTypeAnalysis.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace moefold::spmd {
#define GEN_PASS_DEF_SPMDVERIFYTYPESPASS
#include "moefold/Dialect/SPMD/Transforms/Passes.h.inc"
} // namespace moefold::spmd

using namespace mlir;
using namespace moefold;
using namespace moefold::spmd;

namespace {

/// The printed form of one result's inferred type: one #spmd.local per view
/// (an array), or a string for constants and untyped values.
Attribute getPrintedType(const LocalTypeAnalysis &analysis, Value value) {
  Builder builder(value.getContext());
  const ValueLocalType *type = analysis.lookup(value);
  if (!type)
    return builder.getStringAttr("untyped");
  switch (type->state) {
  case ValueLocalType::State::Constant:
    return builder.getStringAttr("constant");
  case ValueLocalType::State::Unknown:
  case ValueLocalType::State::Poisoned:
    return builder.getStringAttr("untyped");
  case ValueLocalType::State::Typed:
    break;
  }
  SmallVector<Attribute> locals;
  for (LocalTypeAttr local : analysis.getLocalTypes(value))
    locals.push_back(local);
  return builder.getArrayAttr(locals);
}

struct SPMDVerifyTypesPass
    : spmd::impl::SPMDVerifyTypesPassBase<SPMDVerifyTypesPass> {
  using Base::Base;

  void runOnOperation() override {
    bool failed = false;
    getOperation().walk([&](FunctionOpInterface func) {
      if (!LocalTypeAnalysis::isTypedFunction(func))
        return WalkResult::skip();
      LocalTypeAnalysis analysis(func);
      failed |= mlir::failed(analysis.run());
      if (printTypes)
        annotate(func, analysis);
      return WalkResult::skip();
    });
    if (failed)
      signalPassFailure();
  }

  /// `spmd.types` on every op with results: the single result's printed
  /// type, or an array with one entry per result.
  void annotate(FunctionOpInterface func, const LocalTypeAnalysis &analysis) {
    Builder builder(func.getContext());
    func.getFunctionBody().walk([&](Operation *op) {
      if (op->getNumResults() == 0 || !analysis.lookup(op->getResult(0)))
        return;
      Attribute printed;
      if (op->getNumResults() == 1) {
        printed = getPrintedType(analysis, op->getResult(0));
      } else {
        SmallVector<Attribute> perResult;
        for (Value result : op->getResults())
          perResult.push_back(getPrintedType(analysis, result));
        printed = builder.getArrayAttr(perResult);
      }
      op->setAttr(kInferredTypesAttrName, printed);
    });
  }
};

} // namespace
