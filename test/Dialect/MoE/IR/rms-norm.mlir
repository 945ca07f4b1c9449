// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @rms_norm_epsilon
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[W:[^:]*]]: tensor<64xf32>
// CHECK: moe.rms_norm %[[X]], %[[W]] epsilon = 1.000000e-05 : tensor<2x16x64xf32>, tensor<64xf32>
// An explicit epsilon is printed.
func.func @rms_norm_epsilon(%x: tensor<2x16x64xf32>, %w: tensor<64xf32>) -> tensor<2x16x64xf32> {
  %0 = moe.rms_norm %x, %w epsilon = 1.0e-05 : tensor<2x16x64xf32>, tensor<64xf32>
  return %0 : tensor<2x16x64xf32>
}

// CHECK-LABEL: func.func @rms_norm_default_epsilon
// CHECK: moe.rms_norm %{{.*}}, %{{.*}} : tensor<32x64xf64>, tensor<64xf64>
// The default epsilon (1e-6) is elided, also when written out.
func.func @rms_norm_default_epsilon(%x: tensor<32x64xf64>, %w: tensor<64xf64>) -> tensor<32x64xf64> {
  %0 = moe.rms_norm %x, %w epsilon = 1.0e-06 : tensor<32x64xf64>, tensor<64xf64>
  return %0 : tensor<32x64xf64>
}

// CHECK-LABEL: func.func @rms_norm_rank1
// CHECK: moe.rms_norm {{.*}} : tensor<64xf16>, tensor<64xf16>
// A single vector normalises over its only dimension.
func.func @rms_norm_rank1(%x: tensor<64xf16>, %w: tensor<64xf16>) -> tensor<64xf16> {
  %0 = moe.rms_norm %x, %w : tensor<64xf16>, tensor<64xf16>
  return %0 : tensor<64xf16>
}
