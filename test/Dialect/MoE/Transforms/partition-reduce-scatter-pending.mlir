// A pending sum made by this rank (a row-parallel matmul's output, typed V)
// that its consumer wants sharded is reduce-scattered: it is relabelled P
// first, because spmd.reduce_scatter takes a P operand. Regression: the
// partitioner used to emit reduce_scatter (V -> V), which the op verifier
// rejects. The result also passes the local type checker.
// RUN: moefold-opt %s --moe-partition | FileCheck %s
// RUN: moefold-opt %s --moe-partition --spmd-verify-types > /dev/null

#P = #spmd.placement<@mesh[dense] {tp = P(sum)}>
spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

// CHECK-LABEL: func.func @reduce_scatter_pending_sum
func.func @reduce_scatter_pending_sum(
    %x: tensor<4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(1)}>},
    %w: tensor<8x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(0)}>})
    -> (tensor<4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(0)}>}) {
  // CHECK: %[[Y:.*]] = moe.linear %{{.*}}, %{{.*}} : tensor<4x4xf32>, tensor<4x8xf32>
  // CHECK: %[[P:.*]] = spmd.reinterpret %[[Y]] over @mesh[dense] [tp] (V -> P) : tensor<4x8xf32>
  // CHECK: spmd.reduce_scatter %[[P]] over @mesh[dense] [tp] (P -> V) dim 0 : tensor<4x8xf32> -> tensor<2x8xf32>
  %y = moe.linear %x, %w {spmd.placements = [#P]} : tensor<4x8xf32>, tensor<8x8xf32>
  return %y : tensor<4x8xf32>
}
