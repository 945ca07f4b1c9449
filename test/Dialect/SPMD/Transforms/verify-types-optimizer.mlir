// RUN: moefold-opt %s --spmd-verify-types=print-types | FileCheck %s

// The optimizer half of a partitioned training step: gradients reduced
// where they are pending, a norm per group of gradients typed alike (each
// group's squares summed over exactly the axes where it is split), and
// element-wise updates whose operands are distributed like the parameter.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]

moe.param @w : tensor<8x4xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> {global_type = tensor<8x8xf32>}
moe.param @n : tensor<8xf32> family = norm {global_type = tensor<8xf32>}
moe.state @adam_m.w : tensor<8x4xf32> {global_placement = #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>, global_type = tensor<8x8xf32>}
moe.state @adam_v.w : tensor<8x4xf32> {global_placement = #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>, global_type = tensor<8x8xf32>}

// CHECK-LABEL: func.func @optimizer_step
// CHECK: moe.global_norm {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = R, tp = V}>]
// CHECK: spmd.all_reduce {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = R, tp = R}>]
// CHECK: moe.global_norm {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = R, tp = R}>]
// CHECK: math.sqrt {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = R, tp = R}>]
// CHECK: moe.clip_scale {{.*}}spmd.types = {{\[}}[#spmd.local<@mesh[dense] {dp = R, tp = R}>], [#spmd.local<@mesh[dense] {dp = R, tp = R}>]]
// CHECK: moe.get_state @adam_m.w {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = R, tp = V}>]
// CHECK: moe.adamw_step {{.*}}spmd.types = {{\[}}[#spmd.local<@mesh[dense] {dp = R, tp = V}>], [#spmd.local<@mesh[dense] {dp = R, tp = V}>], [#spmd.local<@mesh[dense] {dp = R, tp = V}>]]
// CHECK: moe.sgd_step {{.*}}spmd.types = [#spmd.local<@mesh[dense] {dp = R, tp = R}>]
func.func @optimizer_step(%gw: tensor<8x4xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = V}>},
                          %gn: tensor<8xf32> {spmd.local = #spmd.local<@mesh[dense] {dp = P, tp = R}>},
                          %lr: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>},
                          %step: tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>})
    -> (tensor<f32> {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>}) {
  // The data-parallel gradient all-reduces.
  %rw = spmd.all_reduce %gw over @mesh[dense] [dp] (P -> R) : tensor<8x4xf32>
  %rn = spmd.all_reduce %gn over @mesh[dense] [dp] (P -> R) : tensor<8xf32>
  // Column shards: this rank's squares, summed over tp.
  %n0 = moe.global_norm %rw : tensor<8x4xf32>
  %s0 = arith.mulf %n0, %n0 : tensor<f32>
  %t0 = spmd.all_reduce %s0 over @mesh[dense] [tp] (V -> R) : tensor<f32>
  // Replicated gradients: counted once, on every rank.
  %n1 = moe.global_norm %rn : tensor<8xf32>
  %s1 = arith.mulf %n1, %n1 : tensor<f32>
  %sum = moe.add %t0, %s1 : tensor<f32>
  %norm = math.sqrt %sum : tensor<f32>
  %scale, %apply = moe.clip_scale %norm max_norm = 1.0
  %w = moe.get_param @w {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = V}>} : tensor<8x4xf32>
  %m = moe.get_state @adam_m.w : tensor<8x4xf32>
  %v = moe.get_state @adam_v.w : tensor<8x4xf32>
  %w2, %m2, %v2 = moe.adamw_step %w, %rw, %m, %v, %scale, %lr, %step, %apply beta1 = 0.9 beta2 = 0.95 epsilon = 1.0e-08 weight_decay = 0.1 : tensor<8x4xf32>
  moe.set_param @w, %w2 : tensor<8x4xf32>
  moe.set_state @adam_m.w, %m2 : tensor<8x4xf32>
  moe.set_state @adam_v.w, %v2 : tensor<8x4xf32>
  %n = moe.get_param @n {spmd.local = #spmd.local<@mesh[dense] {dp = R, tp = R}>} : tensor<8xf32>
  %n2 = moe.sgd_step %n, %rn, %scale, %lr, %apply weight_decay = 0.0 : tensor<8xf32>
  moe.set_param @n, %n2 : tensor<8xf32>
  return %norm : tensor<f32>
}
