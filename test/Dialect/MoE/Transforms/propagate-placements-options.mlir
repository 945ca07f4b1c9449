// RUN: moefold-opt %s --moe-propagate-placements="mesh=@main" | FileCheck %s
// RUN: moefold-opt %s --moe-propagate-placements="mesh=main batch-axis=tp" | FileCheck %s --check-prefix=TP
// RUN: moefold-opt %s --moe-propagate-placements="mesh=@main" --moe-propagate-placements="mesh=@main" | FileCheck %s

// Options and seeds: `mesh` picks one of several meshes, `batch-axis` the
// dense axis that shards the batch; an argument annotated by the user keeps
// its placement; functions without moe ops are left alone; running the pass
// twice changes nothing (the written argument placements read back as
// annotations).

spmd.mesh @other world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
spmd.mesh @main world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
moe.param @w : tensor<8x8xf32> family = dense

// CHECK-LABEL: func.func @propagate_placements_options(
// CHECK-SAME: %{{[^:]*}}: tensor<4x8xf32> {spmd.placement = #spmd.placement<@main[dense] {dp = S(0), tp = R}>}
// The annotation is kept as written and used.
// CHECK-SAME: %{{[^:]*}}: tensor<4x8xf32> {spmd.placement = #spmd.placement<@main[dense] {}>}
// CHECK-SAME: %{{[^:]*}}: tensor<f32> {spmd.placement = #spmd.placement<@main[dense] {dp = R, tp = R}>}
// TP-LABEL: func.func @propagate_placements_options(
// TP-SAME: %{{[^:]*}}: tensor<4x8xf32> {spmd.placement = #spmd.placement<@main[dense] {dp = R, tp = S(0)}>}
func.func @propagate_placements_options(%x: tensor<4x8xf32>, %r: tensor<4x8xf32> {spmd.placement = #spmd.placement<@main[dense] {}>}, %s: tensor<f32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %w = moe.get_param @w : tensor<8x8xf32>
  // CHECK: moe.linear %{{.*}} {spmd.placements = [#spmd.placement<@main[dense] {dp = S(0), tp = R}>]}
  // TP: moe.linear %{{.*}} {spmd.placements = [#spmd.placement<@main[dense] {dp = R, tp = S(0)}>]}
  %y = moe.linear %x, %w : tensor<4x8xf32>, tensor<8x8xf32>
  // CHECK: moe.linear %{{.*}} {spmd.placements = [#spmd.placement<@main[dense] {dp = R, tp = R}>]}
  %z = moe.linear %r, %w : tensor<4x8xf32>, tensor<8x8xf32>
  return %y, %z : tensor<4x8xf32>, tensor<4x8xf32>
}

// No moe op: not a step function.
// CHECK-LABEL: func.func @propagate_placements_options_helper(
// CHECK-SAME: %{{[^:]*}}: tensor<4x8xf32>) -> tensor<4x8xf32> {
// CHECK-NEXT: return
func.func @propagate_placements_options_helper(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  return %x : tensor<4x8xf32>
}
