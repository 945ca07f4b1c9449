//===- SPMDAttrs.h - spmd attributes ----------------------------*- C++ -*-===//

#ifndef MOEFOLD_DIALECT_SPMD_IR_SPMDATTRS_H
#define MOEFOLD_DIALECT_SPMD_IR_SPMDATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "moefold/Dialect/SPMD/IR/SPMDEnums.h.inc"

namespace moefold::spmd {

/// The two views every mesh has: dense (`dp x tp`) and expert
/// (`edp x ep x etp`).
inline constexpr llvm::StringLiteral kDenseView = "dense";
inline constexpr llvm::StringLiteral kExpertView = "expert";

/// True for `dense` and `expert`.
bool isKnownViewName(llvm::StringRef view);

/// The local type of the gradient of a value typed `kind`: R->P, I->I, V->V,
/// P->R (DESIGN section 4).
LocalTypeKind getGradientKind(LocalTypeKind kind);

} // namespace moefold::spmd

#define GET_ATTRDEF_CLASSES
#include "moefold/Dialect/SPMD/IR/SPMDAttrs.h.inc"

#endif // MOEFOLD_DIALECT_SPMD_IR_SPMDATTRS_H
