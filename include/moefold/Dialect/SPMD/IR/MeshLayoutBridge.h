//===- MeshLayoutBridge.h - IR meshes to the placement algebra --*- C++ -*-===//
//
// The placement algebra (lib/Placement) is MLIR-free so the runtime side and
// unit tests can use it; this header converts the IR's spmd.mesh and
// #spmd.placement into its types, reporting failures as located diagnostics.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_SPMD_IR_MESHLAYOUTBRIDGE_H
#define MOEFOLD_DIALECT_SPMD_IR_MESHLAYOUTBRIDGE_H

#include "moefold/Dialect/SPMD/IR/SPMDOps.h"
#include "moefold/Placement/MeshLayout.h"
#include "moefold/Placement/Placement.h"

#include "mlir/IR/Diagnostics.h"

namespace moefold::spmd {

/// The rank layout of `mesh`, or the placement algebra's reason why the mesh
/// is invalid. Expects well-formed attributes (as MeshOp's verifier checks).
llvm::Expected<placement::MeshLayout> buildMeshLayout(MeshOp mesh);

/// The rank layout of `mesh`; emits an error at the mesh on failure.
mlir::FailureOr<placement::MeshLayout> getMeshLayout(MeshOp mesh);

/// `attr` as a placement over its view of `layout`; emits through
/// `emitError` when the view or an axis is unknown.
mlir::FailureOr<placement::TensorPlacement>
getTensorPlacement(const placement::MeshLayout &layout, PlacementAttr attr,
                   llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

} // namespace moefold::spmd

#endif // MOEFOLD_DIALECT_SPMD_IR_MESHLAYOUTBRIDGE_H
