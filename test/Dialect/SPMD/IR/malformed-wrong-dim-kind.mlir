// RUN: not moefold-opt %s 2>&1 | FileCheck %s

// A dim given as an attribute of the wrong kind is rejected with a location.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

func.func @malformed_wrong_dim_kind(%x: tensor<4xf32>) -> tensor<8xf32> {
  %g = spmd.all_gather %x over @mesh[dense] [tp] (V -> R) dim #spmd.reduction<sum> : tensor<4xf32> -> tensor<8xf32>
  return %g : tensor<8xf32>
}
// CHECK: malformed-wrong-dim-kind.mlir:8:63: error: custom op 'spmd.all_gather' invalid kind of attribute specified
