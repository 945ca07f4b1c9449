// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @shared_expert_plain
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x16x64xf32>
// CHECK: %[[R:.*]] = moe.shared_expert %[[X]], %{{.*}}, %{{.*}}, %{{.*}} :
// CHECK-SAME: tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>{{$}}
// CHECK: return %[[R]] : tensor<2x16x64xf32>
// An ungated SwiGLU MLP; the result has the type of x.
func.func @shared_expert_plain(%x: tensor<2x16x64xf32>, %wg: tensor<64x128xf32>, %wu: tensor<64x128xf32>, %wd: tensor<128x64xf32>) -> tensor<2x16x64xf32> {
  %0 = moe.shared_expert %x, %wg, %wu, %wd : tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>
  return %0 : tensor<2x16x64xf32>
}

// CHECK-LABEL: func.func @shared_expert_gated
// CHECK-SAME: %[[G:[^:]*]]: tensor<64x1xf32>
// CHECK: moe.shared_expert %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} gate %[[G]] :
// CHECK-SAME: tensor<128x64xf32>, tensor<64x1xf32>
// Qwen-style sigmoid gate.
func.func @shared_expert_gated(%x: tensor<2x16x64xf32>, %wg: tensor<64x128xf32>, %wu: tensor<64x128xf32>, %wd: tensor<128x64xf32>, %g: tensor<64x1xf32>) -> tensor<2x16x64xf32> {
  %0 = moe.shared_expert %x, %wg, %wu, %wd gate %g : tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>, tensor<64x1xf32>
  return %0 : tensor<2x16x64xf32>
}
