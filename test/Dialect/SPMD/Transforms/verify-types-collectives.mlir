// RUN: moefold-opt %s -split-input-file --spmd-verify-types=print-types | FileCheck %s

// A typed collective, convert or reinterpret gives its result the `dst` type
// on the axes it runs over and keeps the operand's types on the other axes
// of its view.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @collectives_reductions
// CHECK: spmd.all_reduce {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = R}>]
// CHECK: spmd.all_reduce {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = I, tp = I}>]
// CHECK: spmd.reduce_scatter {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = P, tp = V}>]
// CHECK: spmd.all_reduce {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = I}>]
// Reductions over one axis leave the other axis as it was; over two axes
// they set both.
func.func @collectives_reductions(%p: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = P}>},
                                  %pp: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = P}>},
                                  %v: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = V}>}) -> tensor<8xf32> {
  %r = spmd.all_reduce %p over @mesh[dense] [tp] (P -> R) : tensor<8xf32>
  %i = spmd.all_reduce %pp over @mesh[dense] [dp, tp] (P -> I) : tensor<8xf32>
  %s = spmd.reduce_scatter %pp over @mesh[dense] [tp] (P -> V) dim 0 : tensor<8xf32> -> tensor<4xf32>
  %vi = spmd.all_reduce %v over @mesh[dense] [tp] (V -> I) : tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @collectives_gathers_and_converts
// CHECK: spmd.all_gather {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = R}>]
// CHECK: spmd.all_gather {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = I}>]
// CHECK: spmd.convert {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// CHECK: spmd.convert {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = P}>]
// CHECK: spmd.convert {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = I}>]
// CHECK: spmd.convert {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = P}>]
// CHECK: spmd.reinterpret {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = P}>]
// Gathers to R and I, the communication-free converts, and the explicit
// reinterpret.
func.func @collectives_gathers_and_converts(%v: tensor<4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = V}>},
                                            %r: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>}) -> tensor<8xf32> {
  %gr = spmd.all_gather %v over @mesh[dense] [tp] (V -> R) dim 0 : tensor<4xf32> -> tensor<8xf32>
  %gi = spmd.all_gather %v over @mesh[dense] [tp] (V -> I) dim 0 : tensor<4xf32> -> tensor<8xf32>
  %sl = spmd.convert %r over @mesh[dense] [tp] (R -> V) dim 0 : tensor<8xf32> -> tensor<4xf32>
  %zp = spmd.convert %sl over @mesh[dense] [tp] (V -> P) dim 0 : tensor<4xf32> -> tensor<8xf32>
  %ri = spmd.convert %r over @mesh[dense] [tp] (R -> I) : tensor<8xf32> -> tensor<8xf32>
  %ip = spmd.convert %ri over @mesh[dense] [tp] (I -> P) : tensor<8xf32> -> tensor<8xf32>
  %rp = spmd.reinterpret %r over @mesh[dense] [tp] (R -> P) : tensor<8xf32>
  return %gr : tensor<8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @collectives_change_view
// CHECK: spmd.convert {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = V}>]
// CHECK: spmd.all_to_all {{.*}}spmd.types = [#spmd.local<@mesh[expert] {edp = V, ep = V}>]
// CHECK: spmd.all_to_all {{.*}}spmd.types = [#spmd.local<@mesh[expert] {edp = V, ep = V}>]
// CHECK: tensor.cast {{.*}}spmd.types = [#spmd.local<@mesh[expert] {edp = V, ep = V}>]
// CHECK: spmd.all_gather {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = I}>]
// The folded dispatch: once every TP lane keeps its own tokens the value
// differs on every rank, so it is V on every axis of the expert view too and
// the all-to-all over ep types; gathering back over tp returns to the dense
// view, dropping the expert-view types.
func.func @collectives_change_view(%tokens: tensor<16x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = I}>},
                                   %send: tensor<4xi64>, %recv: tensor<4xi64>) -> tensor<16x8xf32> {
  %keep = spmd.convert %tokens over @mesh[dense] [tp] (I -> V) dim 0 : tensor<16x8xf32> -> tensor<8x8xf32>
  %sent = spmd.all_to_all %keep, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x8xf32>
  %back = spmd.all_to_all %sent, %recv, %send over @mesh[expert] [ep] (V -> V) : tensor<?x8xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x8xf32>
  %rows = tensor.cast %back : tensor<?x8xf32> to tensor<8x8xf32>
  %full = spmd.all_gather %rows over @mesh[dense] [tp] (V -> I) dim 0 : tensor<8x8xf32> -> tensor<16x8xf32>
  return %full : tensor<16x8xf32>
}
