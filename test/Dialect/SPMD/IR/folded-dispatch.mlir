// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// The folded MoE dispatch of DESIGN section 5 written as a typed local
// program on world 8 = dp4 x tp2 = edp2 x ep4: every step type-checks.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @folded_dispatch_roundtrip
// CHECK-SAME: %[[TOK:[^:]*]]: tensor<16x8xf32>
// CHECK: %[[KEEP:.*]] = spmd.convert %[[TOK]] over @mesh[dense] [tp] (R -> V) dim 0 : tensor<16x8xf32> -> tensor<8x8xf32>
// CHECK: %[[SENT:.*]] = spmd.all_to_all %[[KEEP]], %{{.*}}, %{{.*}} over @mesh[expert] [ep] (V -> V)
// CHECK: %[[BACK:.*]] = spmd.all_to_all %[[SENT]], %{{.*}}, %{{.*}} over @mesh[expert] [ep] (V -> V)
// CHECK: spmd.all_gather %{{.*}} over @mesh[dense] [tp] (V -> R) dim 0 : tensor<8x8xf32> -> tensor<16x8xf32>
// Route-full, keep 1/tp of the tokens (no communication), 1x all-to-all over
// ep and its inverse (counts swapped), then gather back over tp.
func.func @folded_dispatch_roundtrip(%tokens: tensor<16x8xf32>, %send: tensor<4xi64>, %recv: tensor<4xi64>) -> tensor<16x8xf32> {
  %keep = spmd.convert %tokens over @mesh[dense] [tp] (R -> V) dim 0 : tensor<16x8xf32> -> tensor<8x8xf32>
  %sent = spmd.all_to_all %keep, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x8xf32>
  %back = spmd.all_to_all %sent, %recv, %send over @mesh[expert] [ep] (V -> V) : tensor<?x8xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x8xf32>
  %rows = tensor.cast %back : tensor<?x8xf32> to tensor<8x8xf32>
  %full = spmd.all_gather %rows over @mesh[dense] [tp] (V -> R) dim 0 : tensor<8x8xf32> -> tensor<16x8xf32>
  return %full : tensor<16x8xf32>
}
