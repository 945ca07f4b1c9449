// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @rms_norm_grad_basic
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[W:[^:]*]]: tensor<64xf32>
// CHECK-SAME: %[[D:[^:]*]]: tensor<2x16x64xf32>
// CHECK: %[[DX:.*]], %[[DW:.*]] = moe.rms_norm_grad %[[X]], %[[W]], %[[D]] epsilon = 1.000000e-05 : tensor<2x16x64xf32>, tensor<64xf32>
// CHECK: return %[[DX]], %[[DW]] : tensor<2x16x64xf32>, tensor<64xf32>
// dx has x's type and dweight the weight's; both are inferred.
func.func @rms_norm_grad_basic(%x: tensor<2x16x64xf32>, %w: tensor<64xf32>, %dout: tensor<2x16x64xf32>) -> (tensor<2x16x64xf32>, tensor<64xf32>) {
  %dx, %dw = moe.rms_norm_grad %x, %w, %dout epsilon = 1.0e-05 : tensor<2x16x64xf32>, tensor<64xf32>
  return %dx, %dw : tensor<2x16x64xf32>, tensor<64xf32>
}

// CHECK-LABEL: func.func @rms_norm_grad_default_epsilon
// CHECK: moe.rms_norm_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<32x64xf64>, tensor<64xf64>
// The default epsilon (1e-6) is not printed, as in the forward op.
func.func @rms_norm_grad_default_epsilon(%x: tensor<32x64xf64>, %w: tensor<64xf64>, %dout: tensor<32x64xf64>) -> tensor<64xf64> {
  %dx, %dw = moe.rms_norm_grad %x, %w, %dout : tensor<32x64xf64>, tensor<64xf64>
  return %dw : tensor<64xf64>
}
