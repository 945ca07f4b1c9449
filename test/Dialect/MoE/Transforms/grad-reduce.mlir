// RUN: moefold-opt %s --moe-grad-reduce --spmd-verify-types | FileCheck %s
// RUN: moefold-opt %s "--moe-grad-reduce=max-bucket-bytes=64" | FileCheck %s --check-prefix=SMALL

// The optimizer half of a per-rank step on world 4 = dp 2 x tp 2: every
// gradient reduced over the axes where it is pending, as moe-partition
// leaves it. moe-grad-reduce joins the reductions of one family over the
// same axes into one collective; the result still type-checks.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

moe.param @w1 : tensor<8x2xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> {global_type = tensor<8x4xf32>}
moe.param @w2 : tensor<2x8xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(0)}> {global_type = tensor<4x8xf32>}
moe.param @w3 : tensor<8x2xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> {global_type = tensor<8x4xf32>}
moe.param @n1 : tensor<8xf32> family = norm {global_type = tensor<8xf32>}
moe.param @n2 : tensor<8xf32> family = norm {global_type = tensor<8xf32>}
moe.param @r : tensor<8x4xf32> family = router {global_type = tensor<8x4xf32>}

// Dense gradients over dp: one bucket of 16 + 16 elements, placed before
// the first update; the reductions and their types are unchanged.
// CHECK-LABEL: func.func @step
// Norm gradients over different axes stay where they are, apart (two collectives), and so
// does the router's (another family).
// CHECK-DAG: spmd.all_reduce %arg2 over @mesh[dense] [dp] (P -> R) : tensor<8xf32>
// CHECK-DAG: spmd.all_reduce %arg3 over @mesh[dense] [dp, tp] (P -> R) : tensor<8xf32>
// CHECK-DAG: spmd.all_reduce %arg4 over @mesh[dense] [dp] (P -> R) : tensor<8x4xf32>
// CHECK: %[[B:.*]] = moe.pack %arg0, %arg1 : tensor<8x2xf32>, tensor<2x8xf32> -> tensor<32xf32>
// CHECK-NEXT: %[[R:.*]] = spmd.all_reduce %[[B]] over @mesh[dense] [dp] (P -> R) : tensor<32xf32>
// CHECK-NEXT: %[[U:.*]]:2 = moe.unpack %[[R]] : tensor<32xf32> -> tensor<8x2xf32>, tensor<2x8xf32>
// CHECK: moe.sgd_step %{{.*}}, %[[U]]#0,
// CHECK: moe.sgd_step %{{.*}}, %[[U]]#1,
// A gradient computed after the bucket's first use keeps its own reduction.
// CHECK: %[[LATE:.*]] = arith.negf %arg5
// CHECK-NEXT: spmd.all_reduce %[[LATE]] over @mesh[dense] [dp] (P -> R) : tensor<8x2xf32>
// CHECK-NOT: moe.pack

// With buckets of at most 64 bytes the two dense gradients (64 bytes each)
// no longer fit in one: each keeps its own reduction.
// SMALL-NOT: moe.pack
// SMALL: spmd.all_reduce %arg0 over @mesh[dense] [dp] (P -> R) : tensor<8x2xf32>
// SMALL: spmd.all_reduce %arg1 over @mesh[dense] [dp] (P -> R) : tensor<2x8xf32>
// SMALL-NOT: moe.pack

func.func @step(%g1: tensor<8x2xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = V}>},
                %g2: tensor<2x8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = V}>},
                %gn1: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = R}>},
                %gn2: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = P}>},
                %gr: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = R}>},
                %g3: tensor<8x2xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = V}>},
                %scale: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>},
                %lr: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>},
                %apply: tensor<i1> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}) {
  %r1 = spmd.all_reduce %g1 over @mesh[dense] [dp] (P -> R) : tensor<8x2xf32>
  %r2 = spmd.all_reduce %g2 over @mesh[dense] [dp] (P -> R) : tensor<2x8xf32>
  %rn1 = spmd.all_reduce %gn1 over @mesh[dense] [dp] (P -> R) : tensor<8xf32>
  %rn2 = spmd.all_reduce %gn2 over @mesh[dense] [dp, tp] (P -> R) : tensor<8xf32>
  %rr = spmd.all_reduce %gr over @mesh[dense] [dp] (P -> R) : tensor<8x4xf32>
  %w1 = moe.get_param @w1 {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>} : tensor<8x2xf32>
  %w1n = moe.sgd_step %w1, %r1, %scale, %lr, %apply weight_decay = 0.0 : tensor<8x2xf32>
  moe.set_param @w1, %w1n : tensor<8x2xf32>
  %w2 = moe.get_param @w2 {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>} : tensor<2x8xf32>
  %w2n = moe.sgd_step %w2, %r2, %scale, %lr, %apply weight_decay = 0.0 : tensor<2x8xf32>
  moe.set_param @w2, %w2n : tensor<2x8xf32>
  %n1 = moe.get_param @n1 {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>} : tensor<8xf32>
  %n1n = moe.sgd_step %n1, %rn1, %scale, %lr, %apply weight_decay = 0.0 : tensor<8xf32>
  moe.set_param @n1, %n1n : tensor<8xf32>
  %n2 = moe.get_param @n2 {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>} : tensor<8xf32>
  %n2n = moe.sgd_step %n2, %rn2, %scale, %lr, %apply weight_decay = 0.0 : tensor<8xf32>
  moe.set_param @n2, %n2n : tensor<8xf32>
  %r = moe.get_param @r {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>} : tensor<8x4xf32>
  %rn = moe.sgd_step %r, %rr, %scale, %lr, %apply weight_decay = 0.0 : tensor<8x4xf32>
  moe.set_param @r, %rn : tensor<8x4xf32>
  %late = arith.negf %g3 : tensor<8x2xf32>
  %r3 = spmd.all_reduce %late over @mesh[dense] [dp] (P -> R) : tensor<8x2xf32>
  %w3 = moe.get_param @w3 {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>} : tensor<8x2xf32>
  %w3n = moe.sgd_step %w3, %r3, %scale, %lr, %apply weight_decay = 0.0 : tensor<8x2xf32>
  moe.set_param @w3, %w3n : tensor<8x2xf32>
  return
}
