// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @linear_grad_basic
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[W:[^:]*]]: tensor<64x32xf32>
// CHECK-SAME: %[[D:[^:]*]]: tensor<2x16x32xf32>
// CHECK: %[[DX:.*]], %[[DW:.*]] = moe.linear_grad %[[X]], %[[W]], %[[D]] : tensor<2x16x64xf32>, tensor<64x32xf32>, tensor<2x16x32xf32>
// CHECK: return %[[DX]], %[[DW]] : tensor<2x16x64xf32>, tensor<64x32xf32>
// dout is [..., N]; dx and dweight take x's and the weight's types.
func.func @linear_grad_basic(%x: tensor<2x16x64xf32>, %w: tensor<64x32xf32>, %dout: tensor<2x16x32xf32>) -> (tensor<2x16x64xf32>, tensor<64x32xf32>) {
  %dx, %dw = moe.linear_grad %x, %w, %dout : tensor<2x16x64xf32>, tensor<64x32xf32>, tensor<2x16x32xf32>
  return %dx, %dw : tensor<2x16x64xf32>, tensor<64x32xf32>
}

// CHECK-LABEL: func.func @linear_grad_rank1
// CHECK: moe.linear_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<8xf64>, tensor<8x4xf64>, tensor<4xf64>
// A single row (rank-1 x) is a valid forward input, so a valid gradient input.
func.func @linear_grad_rank1(%x: tensor<8xf64>, %w: tensor<8x4xf64>, %dout: tensor<4xf64>) -> tensor<8x4xf64> {
  %dx, %dw = moe.linear_grad %x, %w, %dout : tensor<8xf64>, tensor<8x4xf64>, tensor<4xf64>
  return %dw : tensor<8x4xf64>
}
