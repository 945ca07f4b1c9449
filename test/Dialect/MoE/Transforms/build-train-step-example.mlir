// RUN: moefold-opt %moefold_src/examples/tiny_moe.mlir --moe-autodiff --moe-build-train-step | FileCheck %s
// RUN: moefold-opt %moefold_src/examples/tiny_moe.mlir --moe-autodiff --moe-build-train-step | moefold-opt --verify-roundtrip > /dev/null
// RUN: moefold-opt %moefold_src/examples/tiny_moe.mlir --moe-autodiff --moe-build-train-step | grep -c "moe.set_param" | FileCheck %s --check-prefix=SETS
// SETS: {{^}}29{{$}}

// The whole pipeline on the example model (29 parameters): it composes, the
// result verifies and round-trips, and every parameter is stored, clipped
// and updated exactly once.

// CHECK: moe.param @lm_head
// CHECK-NEXT: moe.state @grad.embed : tensor<256x64xf32>
// CHECK-COUNT-28: moe.state @grad.
// CHECK-NEXT: moe.state @adam_m.embed
// CHECK-COUNT-28: moe.state @adam_m.
// CHECK-NEXT: moe.state @adam_v.embed
// CHECK-COUNT-28: moe.state @adam_v.
// CHECK-LABEL: func.func @train_step(
// CHECK-LABEL: func.func @train_step_grad(
// CHECK-LABEL: func.func @moefold_train_step(
// CHECK-SAME: %[[TOKENS:[^:]*]]: tensor<2x16xi32>, %[[TARGETS:[^:]*]]: tensor<2x16xi32>, %[[LR:[^:]*]]: tensor<f32>, %[[STEP:[^:]*]]: tensor<f32>)
// CHECK-SAME: -> (tensor<f32>, tensor<f32>, tensor<i1>)
// CHECK: moe.embedding_grad %[[TOKENS]]
// CHECK-NEXT: moe.set_state @grad.embed,
// CHECK-COUNT-28: moe.set_state @grad.
// CHECK-NEXT: %[[NORM:.*]] = moe.global_norm {{.*}} : tensor<256x64xf32>, {{.*}}, tensor<64x256xf32>
// CHECK-NEXT: %{{.*}}, %[[APPLY:.*]] = moe.clip_scale %[[NORM]] max_norm = 1.000000e+00
// CHECK-COUNT-29: moe.adamw_step {{.*}}, %[[LR]], %[[STEP]], %[[APPLY]] beta1
// CHECK-NEXT: moe.set_param @lm_head,
// CHECK-NEXT: moe.set_state @adam_m.lm_head,
// CHECK-NEXT: moe.set_state @adam_v.lm_head,
// CHECK-NEXT: return %{{.*}}, %[[NORM]], %[[APPLY]] : tensor<f32>, tensor<f32>, tensor<i1>
