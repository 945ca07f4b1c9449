// RUN: moefold-opt %s -mlir-print-op-generic | FileCheck %s

// The stored form of the typed ops, which C++ builders and other dialects'
// passes produce: attribute names and kinds are part of the interface.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: sym_name = "typed_op_generic"
// CHECK: "spmd.all_reduce"(%{{.*}}) <{axes = ["dp", "tp"], dst = #spmd.local_kind<R>, mesh = @mesh, reduction = #spmd.reduction<avg>, src = #spmd.local_kind<P>, view = "dense"}>
// CHECK: "spmd.all_gather"(%{{.*}}) <{axes = ["tp"], dim = 0 : i64, dst = #spmd.local_kind<I>, mesh = @mesh, src = #spmd.local_kind<V>, view = "dense"}>
// CHECK: "spmd.convert"(%{{.*}}) <{axes = ["tp"], dst = #spmd.local_kind<R>, mesh = @mesh, src = #spmd.local_kind<I>, view = "dense"}>
// Every attribute is stored under a stable name; optional dim is absent.
func.func @typed_op_generic(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<8xf32>, tensor<4xf32>) {
  %a = spmd.all_reduce %x over @mesh[dense] [dp, tp] (P -> R) reduction = avg : tensor<4xf32>
  %b = spmd.all_gather %x over @mesh[dense] [tp] (V -> I) dim 0 : tensor<4xf32> -> tensor<8xf32>
  %c = spmd.convert %x over @mesh[dense] [tp] (I -> R) : tensor<4xf32> -> tensor<4xf32>
  return %a, %b, %c : tensor<4xf32>, tensor<8xf32>, tensor<4xf32>
}
