// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// verifySymbolUses: the mesh, the view and the axes of every typed op are
// resolved against the spmd.mesh symbol.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A misspelt mesh name must not be silently accepted.
func.func @negative_typed_op_unknown_mesh(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{refers to unknown mesh @mseh}}
  %r = spmd.all_reduce %x over @mseh[dense] [tp] (P -> R) : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// A symbol that is not a mesh has no axes.
func.func @negative_typed_op_not_a_mesh(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{@negative_typed_op_not_a_mesh is not an spmd.mesh}}
  %i = spmd.reinterpret %x over @negative_typed_op_not_a_mesh[dense] [tp] (V -> P) : tensor<4xf32>
  return %i : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// ep is an expert-view axis; the dense view only has dp and tp.
func.func @negative_typed_op_axis_of_other_view(%x: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{axis 'ep' is not an axis of the dense view of mesh @mesh (axes: dp, tp)}}
  %g = spmd.all_gather %x over @mesh[dense] [ep] (V -> R) dim 0 : tensor<4xf32> -> tensor<8xf32>
  return %g : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [tp = 2, dp] expert = [edp, ep = 4, etp = 1]

// The listed axes follow the mesh's own order.
func.func @negative_typed_op_unknown_axis(%x: tensor<8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{axis 'cp' is not an axis of the dense view of mesh @mesh (axes: tp, dp)}}
  %s = spmd.reduce_scatter %x over @mesh[dense] [cp] (P -> V) dim 0 : tensor<8xf32> -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// all_to_all resolves its axes like the other collectives.
func.func @negative_typed_op_all_to_all_axis(%x: tensor<8x4xf32>, %c: tensor<4xi64>) -> tensor<?x4xf32> {
  // expected-error @+1 {{axis 'tp' is not an axis of the expert view of mesh @mesh (axes: edp, ep, etp)}}
  %y = spmd.all_to_all %x, %c, %c over @mesh[expert] [tp] (V -> V) : tensor<8x4xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// convert resolves its axes like the collectives.
func.func @negative_typed_op_convert_unknown_mesh(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{refers to unknown mesh @other}}
  %c = spmd.convert %x over @other[dense] [tp] (I -> R) : tensor<8xf32> -> tensor<8xf32>
  return %c : tensor<8xf32>
}
