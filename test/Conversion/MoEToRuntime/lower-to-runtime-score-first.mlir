// RUN: moefold-opt %s --moe-lower-to-runtime | FileCheck %s

// Scores before the experts: the scaled dispatch and the unweighted combine,
// forward and backward, call their own shims (docs/moe-dialect.md, "Scores
// before the experts"): forward operands, output gradients, attributes, then
// the results.

// CHECK-LABEL: func.func @score_first
// CHECK: call @mfrt_mlir_dispatch_scaled_fwd_f32({{.*}}) : (memref<*xf32>, memref<*xi32>, memref<*xf32>, i64, memref<*xf32>, memref<*xi32>) -> ()
// CHECK: call @mfrt_mlir_combine_sum_fwd_f32({{.*}}) : (memref<*xf32>, memref<*xi32>, i64, memref<*xf32>) -> ()
// CHECK: call @mfrt_mlir_combine_sum_bwd_f32({{.*}}) : (memref<*xf32>, memref<*xi32>, memref<*xf32>, i64, memref<*xf32>) -> ()
// CHECK: call @mfrt_mlir_dispatch_scaled_bwd_f32({{.*}}) : (memref<*xf32>, memref<*xi32>, memref<*xf32>, memref<*xf32>, i64, memref<*xf32>, memref<*xf32>) -> ()
func.func @score_first(%x: tensor<1x4x16xf32>, %indices: tensor<1x4x2xi32>, %scores: tensor<1x4x2xf32>, %dy: tensor<1x4x16xf32>) -> (tensor<1x4x16xf32>, tensor<1x4x16xf32>, tensor<1x4x2xf32>) {
  %sorted, %sizes = moe.dispatch %x, %indices scores %scores num_experts = 8 : tensor<1x4x16xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
  %y = moe.combine %sorted, %indices : tensor<8x16xf32>, tensor<1x4x2xi32>
  %deo = moe.combine_grad %sorted, %indices, %dy num_experts = 8 : tensor<8x16xf32>, tensor<1x4x2xi32>, tensor<1x4x16xf32>
  %dx, %ds = moe.dispatch_grad %indices, %deo scores %scores, %x num_experts = 8 : tensor<1x4x2xi32>, tensor<8x16xf32>, tensor<1x4x2xf32>, tensor<1x4x16xf32> -> tensor<1x4x16xf32>, tensor<1x4x2xf32>
  return %y, %dx, %ds : tensor<1x4x16xf32>, tensor<1x4x16xf32>, tensor<1x4x2xf32>
}
