// RUN: moefold-opt %s --moe-lower-to-runtime | FileCheck %s

// Every forward op becomes one call of its runtime shim: operands, then
// attributes, then freshly allocated results, all buffers as unranked
// memrefs. Private functions keep memref signatures (no entry ABI).

// CHECK-LABEL: func.func private @embedding_f32
// CHECK-SAME: (%[[TABLE:.*]]: memref<16x4xf32>, %[[TOK:.*]]: memref<2x3xi32>) -> memref<2x3x4xf32>
// CHECK: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x3x4xf32>
// CHECK-DAG: %[[T:.*]] = memref.cast %[[TABLE]] : memref<16x4xf32> to memref<*xf32>
// CHECK-DAG: %[[I:.*]] = memref.cast %[[TOK]] : memref<2x3xi32> to memref<*xi32>
// CHECK-DAG: %[[O:.*]] = memref.cast %[[OUT]] : memref<2x3x4xf32> to memref<*xf32>
// CHECK: call @mfrt_mlir_embedding_fwd_f32(%[[T]], %[[I]], %[[O]]) : (memref<*xf32>, memref<*xi32>, memref<*xf32>) -> ()
// CHECK: return %[[OUT]]
func.func private @embedding_f32(%table: tensor<16x4xf32>, %tokens: tensor<2x3xi32>) -> tensor<2x3x4xf32> {
  %h = moe.embedding %table, %tokens : tensor<16x4xf32>, tensor<2x3xi32>
  return %h : tensor<2x3x4xf32>
}

// f64 tensors call the _f64 shim; epsilon is an f64 scalar argument.
// CHECK-LABEL: func.func private @rms_norm_f64
// CHECK: %[[EPS:.*]] = arith.constant 1.000000e-05 : f64
// CHECK: call @mfrt_mlir_rms_norm_fwd_f64(%{{.*}}, %{{.*}}, %[[EPS]], %{{.*}}) : (memref<*xf64>, memref<*xf64>, f64, memref<*xf64>) -> ()
func.func private @rms_norm_f64(%x: tensor<2x3x4xf64>, %w: tensor<4xf64>) -> tensor<2x3x4xf64> {
  %y = moe.rms_norm %x, %w epsilon = 1.0e-05 : tensor<2x3x4xf64>, tensor<4xf64>
  return %y : tensor<2x3x4xf64>
}

// CHECK-LABEL: func.func private @linear
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<2x3x5xf32>
// CHECK: call @mfrt_mlir_linear_fwd_f32(%{{.*}}, %{{.*}}, %{{.*}}) : (memref<*xf32>, memref<*xf32>, memref<*xf32>) -> ()
func.func private @linear(%x: tensor<2x3x4xf32>, %w: tensor<4x5xf32>) -> tensor<2x3x5xf32> {
  %y = moe.linear %x, %w : tensor<2x3x4xf32>, tensor<4x5xf32>
  return %y : tensor<2x3x5xf32>
}

// Head counts are i64, `causal` an i32 flag, rope_theta an f64 (0: none).
// CHECK-LABEL: func.func private @attention
// CHECK-DAG: %[[NQ:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[NKV:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[CAUSAL:.*]] = arith.constant 1 : i32
// CHECK-DAG: %[[NOROPE:.*]] = arith.constant 0.000000e+00 : f64
// CHECK: call @mfrt_mlir_attention_fwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[NQ]], %[[NKV]], %[[CAUSAL]], %[[NOROPE]], %{{.*}}) : (memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, i32, f64, memref<*xf32>) -> ()
func.func private @attention(%q: tensor<1x4x16xf32>, %k: tensor<1x4x8xf32>, %v: tensor<1x4x8xf32>) -> tensor<1x4x16xf32> {
  %a = moe.attention %q, %k, %v num_heads = 4 num_kv_heads = 2 causal : tensor<1x4x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
  return %a : tensor<1x4x16xf32>
}

// CHECK-LABEL: func.func private @attention_rope
// CHECK-DAG: %[[THETA:.*]] = arith.constant 1.000000e+04 : f64
// CHECK: call @mfrt_mlir_attention_fwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[THETA]], %{{.*}})
func.func private @attention_rope(%q: tensor<1x4x16xf32>, %k: tensor<1x4x8xf32>, %v: tensor<1x4x8xf32>) -> tensor<1x4x16xf32> {
  %a = moe.attention %q, %k, %v num_heads = 4 num_kv_heads = 2 causal rope_theta = 1.0e+04 : tensor<1x4x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
  return %a : tensor<1x4x16xf32>
}

// CHECK-LABEL: func.func private @swiglu_add
// CHECK: call @mfrt_mlir_swiglu_fwd_f32
// CHECK: call @mfrt_mlir_add_fwd_f32
func.func private @swiglu_add(%g: tensor<3x4xf32>, %u: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %h = moe.swiglu %g, %u : tensor<3x4xf32>
  %s = moe.add %h, %u : tensor<3x4xf32>
  return %s : tensor<3x4xf32>
}

// The router has three results (scores, i32 indices, probs). Without a bias
// the x buffer stands in and the has_bias flag is 0; scoring is the enum
// value (softmax 0, sigmoid 1).
// CHECK-LABEL: func.func private @router_routing
// CHECK-DAG: %[[SCORES:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x4x2xf32>
// CHECK-DAG: %[[INDICES:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x4x2xi32>
// CHECK-DAG: %[[PROBS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x4x8xf32>
// CHECK: %[[X1:.*]] = memref.cast %[[X:.*]] : memref<1x4x16xf32> to memref<*xf32>
// CHECK: %[[W:.*]] = memref.cast
// CHECK: %[[X2:.*]] = memref.cast %[[X]] : memref<1x4x16xf32> to memref<*xf32>
// CHECK: %[[NOBIAS:.*]] = arith.constant 0 : i32
// CHECK: %[[SOFTMAX:.*]] = arith.constant 0 : i32
// CHECK: %[[K:.*]] = arith.constant 2 : i64
// CHECK: %[[RENORM:.*]] = arith.constant 1 : i32
// CHECK: call @mfrt_mlir_router_fwd_f32(%[[X1]], %[[W]], %[[X2]], %[[NOBIAS]], %[[SOFTMAX]], %[[K]], %[[RENORM]], %{{.*}}, %{{.*}}, %{{.*}}) : (memref<*xf32>, memref<*xf32>, memref<*xf32>, i32, i32, i64, i32, memref<*xf32>, memref<*xi32>, memref<*xf32>) -> ()
// Dispatch takes num_experts; group sizes are i32.
// CHECK: %[[E:.*]] = arith.constant 8 : i64
// CHECK: call @mfrt_mlir_dispatch_fwd_f32(%{{.*}}, %{{.*}}, %[[E]], %{{.*}}, %{{.*}}) : (memref<*xf32>, memref<*xi32>, i64, memref<*xf32>, memref<*xi32>) -> ()
// CHECK: call @mfrt_mlir_experts_fwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<*xf32>, memref<*xi32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>) -> ()
// Combine carries no expert count; it is taken from the dispatch.
// CHECK: %[[E2:.*]] = arith.constant 8 : i64
// CHECK: call @mfrt_mlir_combine_fwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[E2]], %{{.*}}) : (memref<*xf32>, memref<*xi32>, memref<*xf32>, i64, memref<*xf32>) -> ()
func.func private @router_routing(%x: tensor<1x4x16xf32>, %w: tensor<16x8xf32>, %wg: tensor<8x16x32xf32>, %wu: tensor<8x16x32xf32>, %wd: tensor<8x32x16xf32>) -> tensor<1x4x16xf32> {
  %scores, %indices, %probs = moe.router %x, %w scoring = softmax top_k = 2 renormalize : tensor<1x4x16xf32>, tensor<16x8xf32>
  %sorted, %sizes = moe.dispatch %x, %indices num_experts = 8 : tensor<1x4x16xf32>, tensor<1x4x2xi32>
  %y = moe.experts %sorted, %sizes, %wg, %wu, %wd : tensor<8x16xf32>, tensor<8xi32>, tensor<8x16x32xf32>, tensor<8x16x32xf32>, tensor<8x32x16xf32>
  %out = moe.combine %y, %indices, %scores : tensor<8x16xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  return %out : tensor<1x4x16xf32>
}

// With a bias the flag is 1 and the bias buffer is passed; sigmoid is 1.
// CHECK-LABEL: func.func private @router_bias_sigmoid
// CHECK: %[[B:.*]] = memref.cast %{{.*}} : memref<8xf32> to memref<*xf32>
// CHECK: %[[HAS:.*]] = arith.constant 1 : i32
// CHECK: %[[SIG:.*]] = arith.constant 1 : i32
// CHECK: call @mfrt_mlir_router_fwd_f32(%{{.*}}, %{{.*}}, %[[B]], %[[HAS]], %[[SIG]],
func.func private @router_bias_sigmoid(%x: tensor<1x4x16xf32>, %w: tensor<16x8xf32>, %b: tensor<8xf32>) -> tensor<1x4x2xi32> {
  %scores, %indices, %probs = moe.router %x, %w bias %b scoring = sigmoid top_k = 2 : tensor<1x4x16xf32>, tensor<16x8xf32>, tensor<8xf32>
  return %indices : tensor<1x4x2xi32>
}

// The gate of a shared expert is optional: a has_gate flag selects it.
// CHECK-LABEL: func.func private @shared_expert
// CHECK: %[[NOGATE:.*]] = arith.constant 0 : i32
// CHECK: call @mfrt_mlir_shared_expert_fwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[NOGATE]], %{{.*}})
// CHECK: %[[GATED:.*]] = arith.constant 1 : i32
// CHECK: call @mfrt_mlir_shared_expert_fwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[GATED]], %{{.*}})
func.func private @shared_expert(%x: tensor<1x4x16xf32>, %wg: tensor<16x32xf32>, %wu: tensor<16x32xf32>, %wd: tensor<32x16xf32>, %g: tensor<16x1xf32>) -> tensor<1x4x16xf32> {
  %y = moe.shared_expert %x, %wg, %wu, %wd : tensor<1x4x16xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x16xf32>
  %z = moe.shared_expert %y, %wg, %wu, %wd gate %g : tensor<1x4x16xf32>, tensor<16x32xf32>, tensor<16x32xf32>, tensor<32x16xf32>, tensor<16x1xf32>
  return %z : tensor<1x4x16xf32>
}

// Losses write 0-d buffers. Cross-entropy divides by the global token count
// (all of `targets`: 2 x 3 = 6).
// CHECK-LABEL: func.func private @losses
// CHECK: %[[COEF:.*]] = arith.constant 1.000000e-02 : f64
// CHECK: call @mfrt_mlir_aux_loss_fwd_f32(%{{.*}}, %{{.*}}, %[[COEF]], %{{.*}}) : (memref<*xf32>, memref<*xi32>, f64, memref<*xf32>) -> ()
// CHECK: %[[N:.*]] = arith.constant 6 : i64
// CHECK: call @mfrt_mlir_cross_entropy_fwd_f32(%{{.*}}, %{{.*}}, %[[N]], %{{.*}}) : (memref<*xf32>, memref<*xi32>, i64, memref<*xf32>) -> ()
// CHECK: call @mfrt_mlir_add_fwd_f32
// CHECK: return %{{.*}} : memref<f32>
func.func private @losses(%probs: tensor<2x3x8xf32>, %indices: tensor<2x3x2xi32>, %logits: tensor<2x3x16xf32>, %targets: tensor<2x3xi32>) -> tensor<f32> {
  %aux = moe.aux_loss %probs, %indices num_experts = 8 coefficient = 1.0e-02 : tensor<2x3x8xf32>, tensor<2x3x2xi32>
  %ce = moe.cross_entropy %logits, %targets : tensor<2x3x16xf32>, tensor<2x3xi32>
  %loss = moe.add %ce, %aux : tensor<f32>
  return %loss : tensor<f32>
}

// A per-rank cross-entropy over 6 of 24 tokens divides by its num_tokens.
// CHECK-LABEL: func.func private @loss_share
// CHECK: %[[N24:.*]] = arith.constant 24 : i64
// CHECK: call @mfrt_mlir_cross_entropy_fwd_f32(%{{.*}}, %{{.*}}, %[[N24]], %{{.*}})
// CHECK: %[[G24:.*]] = arith.constant 24 : i64
// CHECK: call @mfrt_mlir_cross_entropy_bwd_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[G24]], %{{.*}})
func.func private @loss_share(%logits: tensor<2x3x16xf32>, %targets: tensor<2x3xi32>, %dl: tensor<f32>) -> (tensor<f32>, tensor<2x3x16xf32>) {
  %ce = moe.cross_entropy %logits, %targets num_tokens = 24 : tensor<2x3x16xf32>, tensor<2x3xi32>
  %d = moe.cross_entropy_grad %logits, %targets, %dl num_tokens = 24 : tensor<2x3x16xf32>, tensor<2x3xi32>, tensor<f32>
  return %ce, %d : tensor<f32>, tensor<2x3x16xf32>
}

// Every shim is declared once, private, with unranked memref arguments.
// CHECK-DAG: func.func private @mfrt_mlir_embedding_fwd_f32(memref<*xf32>, memref<*xi32>, memref<*xf32>)
// CHECK-DAG: func.func private @mfrt_mlir_rms_norm_fwd_f64(memref<*xf64>, memref<*xf64>, f64, memref<*xf64>)
// CHECK-DAG: func.func private @mfrt_mlir_router_fwd_f32(memref<*xf32>, memref<*xf32>, memref<*xf32>, i32, i32, i64, i32, memref<*xf32>, memref<*xi32>, memref<*xf32>)
