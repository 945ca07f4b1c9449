//===- FunctionRoles.h - loss and gradient functions ---------*- C++ -*-===//
//
// Private to lib/Dialect/MoE/Transforms: how moe-autodiff and
// moe-build-train-step recognise a loss function (a result marked
// {moe.loss}) and a gradient function (the loss, then results marked
// {moe.grad_of = @param}).
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_LIB_DIALECT_MOE_TRANSFORMS_FUNCTIONROLES_H
#define MOEFOLD_LIB_DIALECT_MOE_TRANSFORMS_FUNCTIONROLES_H

#include "moefold/Dialect/MoE/IR/MoEDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>

namespace moefold::moe::detail {

/// The index of the result marked {moe.loss}, if any (the dialect verifier
/// allows at most one).
inline std::optional<unsigned> getLossResult(mlir::func::FuncOp function) {
  for (unsigned i = 0, e = function.getNumResults(); i < e; ++i)
    if (function.getResultAttr(i, MoEDialect::kLossAttrName))
      return i;
  return std::nullopt;
}

/// True for a function made by moe-autodiff: result 0 is the loss and every
/// other result, at least one, is a gradient.
inline bool isGradientFunction(mlir::func::FuncOp function) {
  unsigned numResults = function.getNumResults();
  if (function.isExternal() || numResults < 2 ||
      !function.getResultAttr(0, MoEDialect::kLossAttrName))
    return false;
  for (unsigned i = 1; i < numResults; ++i)
    if (!function.getResultAttr(i, MoEDialect::kGradOfAttrName))
      return false;
  return true;
}

/// True if any result carries {moe.grad_of}.
inline bool hasGradientResults(mlir::func::FuncOp function) {
  for (unsigned i = 0, e = function.getNumResults(); i < e; ++i)
    if (function.getResultAttr(i, MoEDialect::kGradOfAttrName))
      return true;
  return false;
}

} // namespace moefold::moe::detail

#endif // MOEFOLD_LIB_DIALECT_MOE_TRANSFORMS_FUNCTIONROLES_H
