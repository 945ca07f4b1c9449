// RUN: moefold-opt %s --moe-lower-to-runtime | FileCheck %s

// The global norm sums one f64 sum of squares per operand, in operand
// order, and stores the square root into its f32 result.
// CHECK-LABEL: func.func private @global_norm
// CHECK: %[[NORM:.*]] = memref.alloc() {alignment = 64 : i64} : memref<f32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK: %[[S0:.*]] = call @mfrt_mlir_sum_squares_f64(%{{.*}}) : (memref<*xf64>) -> f64
// CHECK: %[[A0:.*]] = arith.addf %[[ZERO]], %[[S0]] : f64
// CHECK: %[[S1:.*]] = call @mfrt_mlir_sum_squares_f64(%{{.*}}) : (memref<*xf64>) -> f64
// CHECK: %[[A1:.*]] = arith.addf %[[A0]], %[[S1]] : f64
// CHECK: call @mfrt_mlir_global_norm_f32(%[[A1]], %{{.*}}) : (f64, memref<*xf32>) -> ()
func.func private @global_norm(%a: tensor<4x4xf64>, %b: tensor<4xf64>) -> tensor<f32> {
  %n = moe.global_norm %a, %b : tensor<4x4xf64>, tensor<4xf64>
  return %n : tensor<f32>
}

// Scalar operands are loaded and passed as values (f64, i1 as i32).
// CHECK-LABEL: func.func private @clip_and_sgd
// CHECK: %[[SCALE:.*]] = memref.alloc() {alignment = 64 : i64} : memref<f32>
// CHECK: %[[APPLY:.*]] = memref.alloc() {alignment = 64 : i64} : memref<i1>
// CHECK: %[[N:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK: %[[N64:.*]] = arith.extf %[[N]] : f32 to f64
// CHECK: %[[MAX:.*]] = arith.constant 1.000000e+00 : f64
// CHECK: call @mfrt_mlir_clip_scale_f32(%[[N64]], %[[MAX]], %{{.*}}, %{{.*}}) : (f64, f64, memref<*xf32>, memref<*xi1>) -> ()
// CHECK: %[[S:.*]] = memref.load %[[SCALE]][] : memref<f32>
// CHECK: %[[S64:.*]] = arith.extf %[[S]] : f32 to f64
// CHECK: %[[LR:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK: %[[LR64:.*]] = arith.extf %[[LR]] : f32 to f64
// CHECK: %[[A:.*]] = memref.load %[[APPLY]][] : memref<i1>
// CHECK: %[[A32:.*]] = arith.extui %[[A]] : i1 to i32
// CHECK: %[[WD:.*]] = arith.constant 1.000000e-01 : f64
// CHECK: call @mfrt_mlir_sgd_step_f32(%{{.*}}, %{{.*}}, %[[S64]], %[[LR64]], %[[A32]], %[[WD]], %{{.*}}) : (memref<*xf32>, memref<*xf32>, f64, f64, i32, f64, memref<*xf32>) -> ()
func.func private @clip_and_sgd(%p: tensor<4xf32>, %g: tensor<4xf32>, %norm: tensor<f32>, %lr: tensor<f32>) -> tensor<4xf32> {
  %scale, %apply = moe.clip_scale %norm max_norm = 1.0
  %p2 = moe.sgd_step %p, %g, %scale, %lr, %apply weight_decay = 0.1 : tensor<4xf32>
  return %p2 : tensor<4xf32>
}

// CHECK-LABEL: func.func private @adamw
// CHECK-DAG: %[[B1:.*]] = arith.constant 9.000000e-01 : f64
// CHECK-DAG: %[[B2:.*]] = arith.constant 0.94999999999999996 : f64
// CHECK-DAG: %[[EPS:.*]] = arith.constant 1.000000e-08 : f64
// CHECK-DAG: %[[WD:.*]] = arith.constant 0.000000e+00 : f64
// CHECK: call @mfrt_mlir_adamw_step_f64(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[B1]], %[[B2]], %[[EPS]], %[[WD]], %{{.*}}, %{{.*}}, %{{.*}}) : (memref<*xf64>, memref<*xf64>, memref<*xf64>, memref<*xf64>, f64, f64, f64, i32, f64, f64, f64, f64, memref<*xf64>, memref<*xf64>, memref<*xf64>) -> ()
func.func private @adamw(%p: tensor<4xf64>, %g: tensor<4xf64>, %m: tensor<4xf64>, %v: tensor<4xf64>, %s: tensor<f32>, %lr: tensor<f32>, %step: tensor<f32>, %apply: tensor<i1>) -> tensor<4xf64> {
  %p2, %m2, %v2 = moe.adamw_step %p, %g, %m, %v, %s, %lr, %step, %apply beta1 = 0.9 beta2 = 0.95 epsilon = 1.0e-08 weight_decay = 0.0 : tensor<4xf64>
  return %p2 : tensor<4xf64>
}

// CHECK-LABEL: func.func private @fill
// CHECK: %[[V:.*]] = arith.constant 1.000000e+00 : f64
// CHECK: call @mfrt_mlir_fill_fwd_f64(%[[V]], %{{.*}}) : (f64, memref<*xf64>) -> ()
func.func private @fill() -> tensor<f64> {
  %one = moe.fill 1.0 : tensor<f64>
  return %one : tensor<f64>
}
