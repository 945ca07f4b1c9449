// RUN: moefold-opt %s --moe-lower-to-runtime | FileCheck %s

// Gradient ops call the _bwd shims: forward operands, output gradients,
// attributes, then the input gradients (docs/design/training-step.md §2).

// CHECK-LABEL: func.func private @dense_grads
// CHECK: call @mfrt_mlir_embedding_bwd_f32(%{{.*}}, %{{.*}}, %{{.*}}) : (memref<*xi32>, memref<*xf32>, memref<*xf32>) -> ()
// CHECK: %[[EPS:.*]] = arith.constant 1.000000e-05 : f64
// CHECK: call @mfrt_mlir_rms_norm_bwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[EPS]], %{{.*}}, %{{.*}}) : (memref<*xf32>, memref<*xf32>, memref<*xf32>, f64, memref<*xf32>, memref<*xf32>) -> ()
// CHECK: call @mfrt_mlir_linear_bwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>) -> ()
// CHECK: call @mfrt_mlir_swiglu_bwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>) -> ()
func.func private @dense_grads(%tokens: tensor<2x3xi32>, %x: tensor<2x3x4xf32>, %w: tensor<4xf32>, %lw: tensor<4x4xf32>, %dout: tensor<2x3x4xf32>) -> (tensor<16x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<2x3x4xf32>) {
  %dt = moe.embedding_grad %tokens, %dout : tensor<2x3xi32>, tensor<2x3x4xf32> -> tensor<16x4xf32>
  %dx, %dw = moe.rms_norm_grad %x, %w, %dout epsilon = 1.0e-05 : tensor<2x3x4xf32>, tensor<4xf32>
  %dx2, %dlw = moe.linear_grad %x, %lw, %dx : tensor<2x3x4xf32>, tensor<4x4xf32>, tensor<2x3x4xf32>
  %dg, %du = moe.swiglu_grad %x, %dx2, %dout : tensor<2x3x4xf32>
  return %dt, %dw, %dlw, %dg : tensor<16x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<2x3x4xf32>
}

// CHECK-LABEL: func.func private @attention_grad
// CHECK-DAG: %[[NQ:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[NKV:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[NONCAUSAL:.*]] = arith.constant 0 : i32
// CHECK-DAG: %[[THETA:.*]] = arith.constant 5.000000e+05 : f64
// CHECK: call @mfrt_mlir_attention_bwd_f64(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[NQ]], %[[NKV]], %[[NONCAUSAL]], %[[THETA]], %{{.*}}, %{{.*}}, %{{.*}}) : (memref<*xf64>, memref<*xf64>, memref<*xf64>, memref<*xf64>, i64, i64, i32, f64, memref<*xf64>, memref<*xf64>, memref<*xf64>) -> ()
func.func private @attention_grad(%q: tensor<1x4x16xf64>, %k: tensor<1x4x4xf64>, %v: tensor<1x4x4xf64>, %dout: tensor<1x4x16xf64>) -> tensor<1x4x4xf64> {
  %dq, %dk, %dv = moe.attention_grad %q, %k, %v, %dout num_heads = 4 num_kv_heads = 1 rope_theta = 5.0e+05 : tensor<1x4x16xf64>, tensor<1x4x4xf64>, tensor<1x4x4xf64>
  return %dk : tensor<1x4x4xf64>
}

// CHECK-LABEL: func.func private @routing_grads
// CHECK: call @mfrt_mlir_router_bwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xi32>, memref<*xf32>, memref<*xf32>, i32, i32, memref<*xf32>, memref<*xf32>) -> ()
// CHECK: call @mfrt_mlir_dispatch_bwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<*xi32>, memref<*xf32>, i64, memref<*xf32>) -> ()
// CHECK: call @mfrt_mlir_experts_bwd_f32({{.*}}) : (memref<*xf32>, memref<*xi32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>) -> ()
// CHECK: call @mfrt_mlir_combine_bwd_f32({{.*}}) : (memref<*xf32>, memref<*xi32>, memref<*xf32>, memref<*xf32>, i64, memref<*xf32>, memref<*xf32>) -> ()
// CHECK: call @mfrt_mlir_aux_loss_bwd_f32({{.*}}) : (memref<*xf32>, memref<*xi32>, memref<*xf32>, f64, memref<*xf32>) -> ()
// CHECK: call @mfrt_mlir_cross_entropy_bwd_f32({{.*}}) : (memref<*xf32>, memref<*xi32>, memref<*xf32>, i64, memref<*xf32>) -> ()
func.func private @routing_grads(%x: tensor<1x4x16xf32>, %w: tensor<16x8xf32>, %probs: tensor<1x4x8xf32>, %indices: tensor<1x4x2xi32>, %scores: tensor<1x4x2xf32>, %sorted: tensor<8x16xf32>, %sizes: tensor<8xi32>, %wg: tensor<8x16x32xf32>, %wu: tensor<8x16x32xf32>, %wd: tensor<8x32x16xf32>, %dl: tensor<f32>, %logits: tensor<1x4x8xf32>, %targets: tensor<1x4xi32>) -> (tensor<16x8xf32>, tensor<1x4x16xf32>, tensor<8x16x32xf32>, tensor<1x4x8xf32>) {
  %dx, %dw = moe.router_grad %x, %w, %probs, %indices, %scores, %probs scoring = softmax top_k = 2 renormalize : tensor<1x4x16xf32>, tensor<16x8xf32>, tensor<1x4x8xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  %dx2 = moe.dispatch_grad %indices, %sorted num_experts = 8 : tensor<1x4x2xi32>, tensor<8x16xf32> -> tensor<1x4x16xf32>
  %ds, %dwg, %dwu, %dwd = moe.experts_grad %sorted, %sizes, %wg, %wu, %wd, %sorted : tensor<8x16xf32>, tensor<8xi32>, tensor<8x16x32xf32>, tensor<8x16x32xf32>, tensor<8x32x16xf32>
  %deo, %dsc = moe.combine_grad %sorted, %indices, %scores, %dx num_experts = 8 : tensor<8x16xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>, tensor<1x4x16xf32>
  %dp = moe.aux_loss_grad %probs, %indices, %dl num_experts = 8 coefficient = 1.0e-02 : tensor<1x4x8xf32>, tensor<1x4x2xi32>, tensor<f32>
  %dlog = moe.cross_entropy_grad %logits, %targets, %dl : tensor<1x4x8xf32>, tensor<1x4xi32>, tensor<f32>
  return %dw, %dx2, %dwg, %dlog : tensor<16x8xf32>, tensor<1x4x16xf32>, tensor<8x16x32xf32>, tensor<1x4x8xf32>
}

// Without a gate there is no dgate: has_gate is 0 and dx stands in for both
// the gate and dgate arguments. With a gate the fifth result is dgate.
// CHECK-LABEL: func.func private @shared_expert_grads
// CHECK: %[[DX:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x4x16xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK: %[[DX1:.*]] = memref.cast %[[DX]] : memref<1x4x16xf32>
// CHECK: %[[DX2:.*]] = memref.cast %[[DX]] : memref<1x4x16xf32>
// CHECK: call @mfrt_mlir_shared_expert_bwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ZERO]], %[[DX1]], %{{.*}}, %{{.*}}, %{{.*}}, %[[DX2]])
// CHECK: %[[DG:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16x1xf32>
// CHECK: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK: %[[DGC:.*]] = memref.cast %[[DG]] : memref<16x1xf32>
// CHECK: call @mfrt_mlir_shared_expert_bwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[DGC]])
func.func private @shared_expert_grads(%x: tensor<1x4x16xf32>, %wg: tensor<16x32xf32>, %wu: tensor<16x32xf32>, %wd: tensor<32x16xf32>, %g: tensor<16x1xf32>, %dout: tensor<1x4x16xf32>) -> (tensor<1x4x16xf32>, tensor<16x1xf32>) {
  %dx, %dwg, %dwu, %dwd = moe.shared_expert_grad %x, %wg, %wu, %wd, %dout : tensor<1x4x16xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x16xf32>
  %dx2, %dwg2, %dwu2, %dwd2, %dg = moe.shared_expert_grad %x, %wg, %wu, %wd gate %g, %dout : tensor<1x4x16xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x16xf32>, tensor<16x1xf32>
  return %dx, %dg : tensor<1x4x16xf32>, tensor<16x1xf32>
}
