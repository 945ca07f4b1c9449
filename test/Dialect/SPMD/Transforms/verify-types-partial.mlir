// RUN: moefold-opt %s --spmd-verify-types=print-types | FileCheck %s

// linear(P) -> P, bilinear(P, R) -> P, P + P -> P: a pending sum survives
// exactly the ops that commute with summing over the axis.

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK-LABEL: func.func @partial_row_parallel
// CHECK: spmd.reinterpret {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = P}>]
// CHECK: moe.linear {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = P}>]
// CHECK: moe.add {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = P}>]
// CHECK: spmd.all_reduce {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = V, tp = I}>]
// A row-parallel output marked partial, then a matmul with a replicated
// weight (P in one factor), a sum of two partials, and the all-reduce.
func.func @partial_row_parallel(%y: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = V}>},
                                %w: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}) -> tensor<4x8xf32> {
  %p = spmd.reinterpret %y over @mesh[dense] [tp] (V -> P) : tensor<4x8xf32>
  %q = moe.linear %p, %w : tensor<4x8xf32>, tensor<8x8xf32>
  %s = moe.add %p, %q : tensor<4x8xf32>
  %r = spmd.all_reduce %s over @mesh[dense] [tp] (P -> I) : tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @partial_linear_ops
// CHECK: tensor.collapse_shape {{.*}}spmd.types = [#spmd.local<@mesh[dense] {tp = P}>]
// CHECK: arith.mulf {{.*}}spmd.types = [#spmd.local<@mesh[dense] {tp = P}>]
// CHECK: arith.negf {{.*}}spmd.types = [#spmd.local<@mesh[dense] {tp = P}>]
// CHECK: arith.divf {{.*}}spmd.types = [#spmd.local<@mesh[dense] {tp = P}>]
// Reshapes, scaling by a constant, negation and division by an R value are
// linear in the partial operand.
func.func @partial_linear_ops(%p: tensor<2x4xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
                              %d: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<8xf32> {
  %flat = tensor.collapse_shape %p [[0, 1]] : tensor<2x4xf32> into tensor<8xf32>
  %half = arith.constant dense<0.5> : tensor<8xf32>
  %scaled = arith.mulf %flat, %half : tensor<8xf32>
  %neg = arith.negf %scaled : tensor<8xf32>
  %q = arith.divf %neg, %d : tensor<8xf32>
  return %q : tensor<8xf32>
}

// CHECK-LABEL: func.func @partial_through_dispatch_and_combine
// CHECK: moe.dispatch {{.*}}spmd.types = {{\[}}[#spmd.local<@mesh[dense] {tp = P}>], [#spmd.local<@mesh[dense] {tp = R}>]]
// CHECK: moe.combine {{.*}}spmd.types = [#spmd.local<@mesh[dense] {tp = P}>]
// CHECK: moe.embedding {{.*}}spmd.types = [#spmd.local<@mesh[dense] {tp = P}>]
// Dispatch permutes copies of its input and combine is bilinear in expert
// outputs and scores: both are linear in a partial float operand, while the
// group sizes depend on the indices only.
func.func @partial_through_dispatch_and_combine(%x: tensor<1x4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
                                                %idx: tensor<1x4x2xi32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
                                                %scores: tensor<1x4x2xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>},
                                                %table: tensor<16x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
                                                %tokens: tensor<1x4xi32> {spmd.local = #spmd.local<@mesh[dense] {tp = R}>}) -> tensor<1x4x8xf32> {
  %sorted, %sizes = moe.dispatch %x, %idx num_experts = 4 : tensor<1x4x8xf32>, tensor<1x4x2xi32>
  %y = moe.combine %sorted, %idx, %scores : tensor<8x8xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  %e = moe.embedding %table, %tokens : tensor<16x8xf32>, tensor<1x4xi32>
  return %y : tensor<1x4x8xf32>
}
