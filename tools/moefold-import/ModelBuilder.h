//===- ModelBuilder.h - ModelSpec -> moe-dialect module ---------*- C++ -*-===//
//
// Builds the training model with the dialects' C++ builders: the mesh, one
// moe.param per Hugging Face weight (families, placements, init), and
// @train_step(tokens, targets) -> loss {moe.loss}. The caller verifies the
// module before printing it.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_TOOLS_MOEFOLD_IMPORT_MODELBUILDER_H
#define MOEFOLD_TOOLS_MOEFOLD_IMPORT_MODELBUILDER_H

#include "ModelSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

namespace moefold::import {

mlir::OwningOpRef<mlir::ModuleOp> buildModel(mlir::MLIRContext &context,
                                             const ModelSpec &spec,
                                             const ImportOptions &options);

} // namespace moefold::import

#endif // MOEFOLD_TOOLS_MOEFOLD_IMPORT_MODELBUILDER_H
