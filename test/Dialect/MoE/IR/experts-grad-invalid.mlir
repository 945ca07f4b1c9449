// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The forward rule applies: the experts divide the groups.
func.func @negative_experts_grad_num_experts(%sorted: tensor<64x64xf32>, %sizes: tensor<4xi32>, %wg: tensor<8x64x128xf32>, %wu: tensor<8x64x128xf32>, %wd: tensor<8x128x64xf32>) {
  // expected-error @+1 {{'moe.experts_grad' op expected expert weight w_gate to have shape [E, H, F] with E dividing the 4 groups of group_sizes and H = 64, got [8, 64, 128]}}
  %ds, %dwg, %dwu, %dwd = moe.experts_grad %sorted, %sizes, %wg, %wu, %wd, %sorted : tensor<64x64xf32>, tensor<4xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
  return
}

// -----

// w_down is [E, F, H]; a w_up-shaped one is caught.
func.func @negative_experts_grad_w_down(%sorted: tensor<64x64xf32>, %sizes: tensor<8xi32>, %wg: tensor<8x64x128xf32>) {
  // expected-error @+1 {{'moe.experts_grad' op expected expert weight w_down to have shape [E, F, H] = [8, 128, 64], got [8, 64, 128]}}
  %ds, %dwg, %dwu, %dwd = moe.experts_grad %sorted, %sizes, %wg, %wg, %wg, %sorted : tensor<64x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>
  return
}

// -----

// dout has the type of sorted (only the generic form can break it).
func.func @negative_experts_grad_dout(%sorted: tensor<64x64xf32>, %sizes: tensor<8xi32>, %wg: tensor<8x64x128xf32>, %wd: tensor<8x128x64xf32>, %dout: tensor<32x64xf32>) {
  // expected-error @+1 {{'moe.experts_grad' op failed to verify that all of {sorted, dout, dsorted} have same type}}
  %ds, %dwg, %dwu, %dwd = "moe.experts_grad"(%sorted, %sizes, %wg, %wg, %wd, %dout) : (tensor<64x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>, tensor<32x64xf32>) -> (tensor<64x64xf32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>)
  return
}
