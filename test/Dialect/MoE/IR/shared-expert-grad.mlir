// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @shared_expert_grad_plain
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x16x64xf32>
// CHECK-SAME: %[[WG:[^:]*]]: tensor<64x128xf32>
// CHECK-SAME: %[[WU:[^:]*]]: tensor<64x128xf32>
// CHECK-SAME: %[[WD:[^:]*]]: tensor<128x64xf32>
// CHECK-SAME: %[[D:[^:]*]]: tensor<2x16x64xf32>
// CHECK: %[[DX:.*]], %[[DWG:.*]], %[[DWU:.*]], %[[DWD:.*]] = moe.shared_expert_grad %[[X]], %[[WG]], %[[WU]], %[[WD]], %[[D]] : tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>
// CHECK: return %[[DX]], %[[DWG]], %[[DWU]], %[[DWD]]
// Without a gate there are four gradients.
func.func @shared_expert_grad_plain(%x: tensor<2x16x64xf32>, %wg: tensor<64x128xf32>, %wu: tensor<64x128xf32>, %wd: tensor<128x64xf32>, %dout: tensor<2x16x64xf32>) -> (tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>) {
  %dx, %dwg, %dwu, %dwd = moe.shared_expert_grad %x, %wg, %wu, %wd, %dout : tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>
  return %dx, %dwg, %dwu, %dwd : tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>
}

// CHECK-LABEL: func.func @shared_expert_grad_gated
// CHECK-SAME: %[[G:[^:]*]]: tensor<64x1xf32>
// CHECK: %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[DG:.*]] = moe.shared_expert_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} gate %[[G]], %{{.*}} : tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>, tensor<64x1xf32>
// CHECK: return %[[DG]] : tensor<64x1xf32>
// With a sigmoid gate, a fifth result is the gate's gradient.
func.func @shared_expert_grad_gated(%x: tensor<2x16x64xf32>, %wg: tensor<64x128xf32>, %wu: tensor<64x128xf32>, %wd: tensor<128x64xf32>, %g: tensor<64x1xf32>, %dout: tensor<2x16x64xf32>) -> tensor<64x1xf32> {
  %dx, %dwg, %dwu, %dwd, %dg = moe.shared_expert_grad %x, %wg, %wu, %wd gate %g, %dout : tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>, tensor<64x1xf32>
  return %dg : tensor<64x1xf32>
}
