//===- MeshLayoutBridge.cpp - IR meshes to the placement algebra ----------===//

#include "moefold/Dialect/SPMD/IR/MeshLayoutBridge.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace moefold;
using namespace moefold::spmd;

static placement::ViewSpec getViewSpec(StringRef name, ArrayAttr axes,
                                       ArrayRef<int64_t> sizes) {
  placement::ViewSpec view;
  view.name = name.str();
  for (auto [axis, size] : llvm::zip(axes.getAsValueRange<StringAttr>(), sizes))
    view.axes.push_back(
        {axis.str(), ShapedType::isDynamic(size)
                         ? std::nullopt
                         : std::optional<int64_t>(size)});
  return view;
}

llvm::Expected<placement::MeshLayout>
moefold::spmd::buildMeshLayout(MeshOp mesh) {
  placement::MeshSpec spec;
  spec.world = mesh.getWorld();
  spec.views.push_back(
      getViewSpec(kDenseView, mesh.getDenseAxes(), mesh.getDenseSizes()));
  spec.views.push_back(
      getViewSpec(kExpertView, mesh.getExpertAxes(), mesh.getExpertSizes()));
  return placement::MeshLayout::create(spec);
}

FailureOr<placement::MeshLayout> moefold::spmd::getMeshLayout(MeshOp mesh) {
  llvm::Expected<placement::MeshLayout> layout = buildMeshLayout(mesh);
  if (!layout)
    return mesh.emitOpError() << llvm::toString(layout.takeError());
  return std::move(*layout);
}

static placement::AxisPlacement toAxisPlacement(AxisPlacementAttr attr) {
  switch (attr.getKind()) {
  case PlacementKind::Replicated:
    return placement::AxisPlacement::replicate();
  case PlacementKind::Sharded:
    return placement::AxisPlacement::shard(attr.getDim());
  case PlacementKind::Partial:
    switch (attr.getReduction()) {
    case ReductionKind::Sum:
      return placement::AxisPlacement::partial(placement::ReduceKind::Sum);
    case ReductionKind::Avg:
      return placement::AxisPlacement::partial(placement::ReduceKind::Avg);
    case ReductionKind::Max:
      return placement::AxisPlacement::partial(placement::ReduceKind::Max);
    }
  }
  llvm_unreachable("unknown placement kind");
}

FailureOr<placement::TensorPlacement> moefold::spmd::getTensorPlacement(
    const placement::MeshLayout &layout, PlacementAttr attr,
    llvm::function_ref<InFlightDiagnostic()> emitError) {
  const placement::View *view = layout.lookupView(attr.getView().getValue());
  if (!view)
    return emitError() << "mesh has no view '" << attr.getView().getValue()
                       << "'";
  SmallVector<std::pair<StringRef, placement::AxisPlacement>> named;
  for (auto [axis, axisPlacement] :
       llvm::zip(attr.getAxes(), attr.getPlacements()))
    named.push_back({axis.getValue(), toAxisPlacement(axisPlacement)});
  llvm::Expected<placement::TensorPlacement> result =
      placement::TensorPlacement::get(*view, named);
  if (!result)
    return emitError() << llvm::toString(result.takeError());
  return std::move(*result);
}
