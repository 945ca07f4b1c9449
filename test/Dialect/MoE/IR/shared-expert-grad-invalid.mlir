// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The forward rule applies: w_down is [F, H].
func.func @negative_shared_expert_grad_w_down(%x: tensor<2x16x64xf32>, %wg: tensor<64x128xf32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.shared_expert_grad' op expected w_down to have shape [F, H] = [128, 64], got [64, 128]}}
  %dx, %dwg, %dwu, %dwd = moe.shared_expert_grad %x, %wg, %wg, %wg, %dout : tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<64x128xf32>
  return
}

// -----

// The gate is [H, 1].
func.func @negative_shared_expert_grad_gate(%x: tensor<2x16x64xf32>, %wg: tensor<64x128xf32>, %wd: tensor<128x64xf32>, %g: tensor<64x2xf32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.shared_expert_grad' op expected gate to have shape [H, 1] = [64, 1], got [64, 2]}}
  %dx, %dwg, %dwu, %dwd, %dg = moe.shared_expert_grad %x, %wg, %wg, %wd gate %g, %dout : tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>, tensor<64x2xf32>
  return
}

// -----

// A gate's gradient without a gate (only the generic form can say this).
func.func @negative_shared_expert_grad_dgate(%x: tensor<2x16x64xf32>, %wg: tensor<64x128xf32>, %wd: tensor<128x64xf32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.shared_expert_grad' op expected a dgate result exactly when gate is given}}
  %r:5 = "moe.shared_expert_grad"(%x, %wg, %wg, %wd, %dout) : (tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>, tensor<2x16x64xf32>) -> (tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>, tensor<64x1xf32>)
  return
}
