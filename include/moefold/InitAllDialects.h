//===- InitAllDialects.h - register every dialect moefold uses --*- C++ -*-===//
//
// One registration point shared by every tool and test, so moefold-opt,
// moefold-compile and the unit tests all see the same dialect set.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_INITALLDIALECTS_H
#define MOEFOLD_INITALLDIALECTS_H

#include "moefold/Dialect/MoE/IR/MoEDialect.h"
#include "moefold/Dialect/SPMD/IR/SPMDDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"

namespace moefold {

inline void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<moe::MoEDialect, spmd::SPMDDialect>();
  registry.insert<mlir::arith::ArithDialect, mlir::func::FuncDialect,
                  mlir::linalg::LinalgDialect, mlir::math::MathDialect,
                  mlir::scf::SCFDialect, mlir::tensor::TensorDialect>();
}

} // namespace moefold

#endif // MOEFOLD_INITALLDIALECTS_H
