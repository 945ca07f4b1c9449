// RUN: moefold-opt %s --moe-autodiff --moe-build-train-step | FileCheck %s --check-prefixes=CHECK,ADAMW
// RUN: moefold-opt %s --moe-autodiff --moe-build-train-step="optimizer=sgd" | FileCheck %s --check-prefixes=CHECK,SGD
// RUN: moefold-opt %s --moe-autodiff --moe-build-train-step="optimizer=adamw max-grad-norm=0 weight-decay=0.0 beta1=0.5 beta2=0.75 epsilon=1e-6" | FileCheck %s --check-prefix=CUSTOM
// RUN: moefold-opt %s --moe-autodiff --moe-build-train-step="optimizer=sgd weight-decay=0.25 max-grad-norm=2.5" | FileCheck %s --check-prefix=SGDDECAY

// The training step built from the gradient function of the loss, for AdamW
// (the default) and for SGD, with gradient buffers, global norm, clipping and one
// update per parameter in declaration order.

moe.param @w : tensor<4x4xf32> family = dense
moe.param @norm : tensor<4xf32> family = norm

// Gradient buffers for every parameter, then (AdamW only) the moments, all
// after the last parameter.
// CHECK: moe.param @norm
// CHECK-NEXT: moe.state @grad.w : tensor<4x4xf32>{{$}}
// CHECK-NEXT: moe.state @grad.norm : tensor<4xf32>{{$}}
// ADAMW-NEXT: moe.state @adam_m.w : tensor<4x4xf32>{{$}}
// ADAMW-NEXT: moe.state @adam_m.norm : tensor<4xf32>{{$}}
// ADAMW-NEXT: moe.state @adam_v.w : tensor<4x4xf32>{{$}}
// ADAMW-NEXT: moe.state @adam_v.norm : tensor<4xf32>{{$}}
// SGD-NOT: moe.state @adam

// CHECK-LABEL: func.func @build_train_step_loss(
// CHECK-LABEL: func.func @build_train_step_loss_grad(

// CHECK-LABEL: func.func @moefold_train_step(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x2x4xf32> {test.arg}, %[[T:[^:]*]]: tensor<1x2xi32>, %[[LR:[^:]*]]: tensor<f32>, %[[STEP:[^:]*]]: tensor<f32>)
// CHECK-SAME: -> (tensor<f32>, tensor<f32>, tensor<i1>)
// The gradient function's body is inlined, not called.
// CHECK-NOT: call
// CHECK: %[[CE:.*]] = moe.cross_entropy
// CHECK: %{{.*}}, %[[DW:.*]] = moe.linear_grad
// CHECK: %{{.*}}, %[[DNORM:.*]] = moe.rms_norm_grad
// CHECK-NEXT: moe.set_state @grad.w, %[[DW]] : tensor<4x4xf32>
// CHECK-NEXT: moe.set_state @grad.norm, %[[DNORM]] : tensor<4xf32>
// CHECK-NEXT: %[[GN:.*]] = moe.global_norm %[[DW]], %[[DNORM]] : tensor<4x4xf32>, tensor<4xf32>
// CHECK-NEXT: %[[SCALE:.*]], %[[APPLY:.*]] = moe.clip_scale %[[GN]] max_norm = 1.000000e+00
// CHECK-NEXT: %[[P:.*]] = moe.get_param @w : tensor<4x4xf32>

// ADAMW-NEXT: %[[M:.*]] = moe.get_state @adam_m.w : tensor<4x4xf32>
// ADAMW-NEXT: %[[V:.*]] = moe.get_state @adam_v.w : tensor<4x4xf32>
// ADAMW-NEXT: %[[NP:.*]], %[[NM:.*]], %[[NV:.*]] = moe.adamw_step %[[P]], %[[DW]], %[[M]], %[[V]], %[[SCALE]], %[[LR]], %[[STEP]], %[[APPLY]] beta1 = 9.000000e-01 beta2 = 0.94999999999999996 epsilon = 1.000000e-08 weight_decay = 1.000000e-01 : tensor<4x4xf32>
// ADAMW-NEXT: moe.set_param @w, %[[NP]] : tensor<4x4xf32>
// ADAMW-NEXT: moe.set_state @adam_m.w, %[[NM]] : tensor<4x4xf32>
// ADAMW-NEXT: moe.set_state @adam_v.w, %[[NV]] : tensor<4x4xf32>
// ADAMW-NEXT: %[[P2:.*]] = moe.get_param @norm : tensor<4xf32>
// ADAMW-NEXT: %[[M2:.*]] = moe.get_state @adam_m.norm
// ADAMW-NEXT: %[[V2:.*]] = moe.get_state @adam_v.norm
// ADAMW-NEXT: %[[NP2:.*]], %[[NM2:.*]], %[[NV2:.*]] = moe.adamw_step %[[P2]], %[[DNORM]], %[[M2]], %[[V2]], %[[SCALE]], %[[LR]], %[[STEP]], %[[APPLY]]
// ADAMW-NEXT: moe.set_param @norm, %[[NP2]]
// ADAMW-NEXT: moe.set_state @adam_m.norm, %[[NM2]]
// ADAMW-NEXT: moe.set_state @adam_v.norm, %[[NV2]]

// SGD-NEXT: %[[NP:.*]] = moe.sgd_step %[[P]], %[[DW]], %[[SCALE]], %[[LR]], %[[APPLY]] weight_decay = 0.000000e+00 : tensor<4x4xf32>
// SGD-NEXT: moe.set_param @w, %[[NP]] : tensor<4x4xf32>
// SGD-NEXT: %[[P2:.*]] = moe.get_param @norm : tensor<4xf32>
// SGD-NEXT: %[[NP2:.*]] = moe.sgd_step %[[P2]], %[[DNORM]], %[[SCALE]], %[[LR]], %[[APPLY]] weight_decay = 0.000000e+00 : tensor<4xf32>
// SGD-NEXT: moe.set_param @norm, %[[NP2]] : tensor<4xf32>
// SGD-NOT: moe.adamw_step

// CHECK-NEXT: return %[[CE]], %[[GN]], %[[APPLY]] : tensor<f32>, tensor<f32>, tensor<i1>

// Options reach the ops: no clipping, no decay, other betas and epsilon.
// CUSTOM: moe.clip_scale %{{.*}} max_norm = 0.000000e+00
// CUSTOM: moe.adamw_step {{.*}} beta1 = 5.000000e-01 beta2 = 7.500000e-01 epsilon = 9.9999999999999995E-7 weight_decay = 0.000000e+00 : tensor<4x4xf32>

// An explicit weight decay overrides the optimizer's default.
// SGDDECAY: moe.clip_scale %{{.*}} max_norm = 2.500000e+00
// SGDDECAY: moe.sgd_step {{.*}} weight_decay = 2.500000e-01 : tensor<4x4xf32>
func.func @build_train_step_loss(%x: tensor<1x2x4xf32> {test.arg}, %targets: tensor<1x2xi32>) -> (tensor<f32> {moe.loss}) {
  %n = moe.get_param @norm : tensor<4xf32>
  %h = moe.rms_norm %x, %n : tensor<1x2x4xf32>, tensor<4xf32>
  %w = moe.get_param @w : tensor<4x4xf32>
  %l = moe.linear %h, %w : tensor<1x2x4xf32>, tensor<4x4xf32>
  %ce = moe.cross_entropy %l, %targets : tensor<1x2x4xf32>, tensor<1x2xi32>
  return %ce : tensor<f32>
}
