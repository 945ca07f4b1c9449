// RUN: moefold-opt %s -split-input-file -verify-diagnostics

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A reinterpret that keeps the type is noise at a region boundary.
func.func @negative_reinterpret_same_kind(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{src and dst are both V: nothing to do}}
  %i = spmd.reinterpret %x over @mesh[dense] [tp] (V -> V) : tensor<4xf32>
  return %i : tensor<4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A reinterpret keeps the local data, so the type cannot change.
func.func @negative_reinterpret_type_change(%x: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %i = "spmd.reinterpret"(%x) <{axes = ["tp"], dst = #spmd.local_kind<P>, mesh = @mesh, src = #spmd.local_kind<V>, view = "dense"}> : (tensor<4xf32>) -> tensor<8xf32>
  return %i : tensor<8xf32>
}
