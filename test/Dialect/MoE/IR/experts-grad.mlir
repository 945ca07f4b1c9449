// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// CHECK-LABEL: func.func @experts_grad_basic
// CHECK-SAME: %[[S:[^:]*]]: tensor<64x64xf32>
// CHECK-SAME: %[[N:[^:]*]]: tensor<8xi32>
// CHECK-SAME: %[[WG:[^:]*]]: tensor<8x64x128xf32>
// CHECK-SAME: %[[WU:[^:]*]]: tensor<8x64x128xf32>
// CHECK-SAME: %[[WD:[^:]*]]: tensor<8x128x64xf32>
// CHECK-SAME: %[[D:[^:]*]]: tensor<64x64xf32>
// CHECK: %[[DS:.*]], %[[DWG:.*]], %[[DWU:.*]], %[[DWD:.*]] = moe.experts_grad %[[S]], %[[N]], %[[WG]], %[[WU]], %[[WD]], %[[D]] : tensor<64x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
// CHECK: return %[[DS]], %[[DWG]], %[[DWU]], %[[DWD]] : tensor<64x64xf32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
// Group sizes get no gradient; everything else does.
func.func @experts_grad_basic(%sorted: tensor<64x64xf32>, %sizes: tensor<8xi32>, %wg: tensor<8x64x128xf32>, %wu: tensor<8x64x128xf32>, %wd: tensor<8x128x64xf32>, %dout: tensor<64x64xf32>) -> (tensor<64x64xf32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>) {
  %ds, %dwg, %dwu, %dwd = moe.experts_grad %sorted, %sizes, %wg, %wu, %wd, %dout : tensor<64x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
  return %ds, %dwg, %dwu, %dwd : tensor<64x64xf32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
}
