// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// A 0-d tensor has no hidden dimension.
func.func @negative_shared_expert_scalar(%x: tensor<f32>, %wg: tensor<1x4xf32>, %wd: tensor<4x1xf32>) {
  // expected-error @+1 {{'moe.shared_expert' op expected x to have rank >= 1 ([..., H]), got rank 0}}
  %0 = moe.shared_expert %x, %wg, %wg, %wd : tensor<f32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<4x1xf32>
  return
}

// -----

// A shared expert is one dense MLP, not a stack of experts.
func.func @negative_shared_expert_w_gate_rank(%x: tensor<2x16x64xf32>, %wg: tensor<1x64x128xf32>, %wu: tensor<64x128xf32>, %wd: tensor<128x64xf32>) {
  // expected-error @+1 {{'moe.shared_expert' op expected w_gate to have rank 2 ([H, F]), got rank 3}}
  %0 = moe.shared_expert %x, %wg, %wu, %wd : tensor<2x16x64xf32>, tensor<1x64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>
  return
}

// -----

// w_gate is [H, F]; a transposed one is caught.
func.func @negative_shared_expert_w_gate_hidden(%x: tensor<2x16x64xf32>, %wg: tensor<128x64xf32>, %wu: tensor<64x128xf32>, %wd: tensor<128x64xf32>) {
  // expected-error @+1 {{'moe.shared_expert' op expected w_gate dim 0 to equal hidden size 64, got 128}}
  %0 = moe.shared_expert %x, %wg, %wu, %wd : tensor<2x16x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>, tensor<128x64xf32>
  return
}

// -----

// w_up must agree with w_gate.
func.func @negative_shared_expert_w_up(%x: tensor<2x16x64xf32>, %wg: tensor<64x128xf32>, %wu: tensor<64x96xf32>, %wd: tensor<128x64xf32>) {
  // expected-error @+1 {{'moe.shared_expert' op expected w_up to have shape [H, F] = [64, 128], got [64, 96]}}
  %0 = moe.shared_expert %x, %wg, %wu, %wd : tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x96xf32>, tensor<128x64xf32>
  return
}

// -----

// w_down maps F back to H.
func.func @negative_shared_expert_w_down(%x: tensor<2x16x64xf32>, %wg: tensor<64x128xf32>) {
  // expected-error @+1 {{'moe.shared_expert' op expected w_down to have shape [F, H] = [128, 64], got [64, 128]}}
  %0 = moe.shared_expert %x, %wg, %wg, %wg : tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<64x128xf32>
  return
}

// -----

// No implicit precision casts (w_gate).
func.func @negative_shared_expert_w_gate_type(%x: tensor<2x64xf32>, %wg: tensor<64x128xbf16>, %wu: tensor<64x128xf32>, %wd: tensor<128x64xf32>) {
  // expected-error @+1 {{'moe.shared_expert' op expected w_gate element type 'bf16' to match x element type 'f32'}}
  %0 = moe.shared_expert %x, %wg, %wu, %wd : tensor<2x64xf32>, tensor<64x128xbf16>, tensor<64x128xf32>, tensor<128x64xf32>
  return
}

// -----

// No implicit precision casts (w_up).
func.func @negative_shared_expert_w_up_type(%x: tensor<2x64xf32>, %wg: tensor<64x128xf32>, %wu: tensor<64x128xf16>, %wd: tensor<128x64xf32>) {
  // expected-error @+1 {{'moe.shared_expert' op expected w_up element type 'f16' to match x element type 'f32'}}
  %0 = moe.shared_expert %x, %wg, %wu, %wd : tensor<2x64xf32>, tensor<64x128xf32>, tensor<64x128xf16>, tensor<128x64xf32>
  return
}

// -----

// No implicit precision casts (w_down).
func.func @negative_shared_expert_w_down_type(%x: tensor<2x64xf32>, %wg: tensor<64x128xf32>, %wd: tensor<128x64xf64>) {
  // expected-error @+1 {{'moe.shared_expert' op expected w_down element type 'f64' to match x element type 'f32'}}
  %0 = moe.shared_expert %x, %wg, %wg, %wd : tensor<2x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf64>
  return
}

// -----

// The Qwen-style gate projects H to one logit per token.
func.func @negative_shared_expert_gate_shape(%x: tensor<2x64xf32>, %wg: tensor<64x128xf32>, %wd: tensor<128x64xf32>, %g: tensor<64x2xf32>) {
  // expected-error @+1 {{'moe.shared_expert' op expected gate to have shape [H, 1] = [64, 1], got [64, 2]}}
  %0 = moe.shared_expert %x, %wg, %wg, %wd gate %g : tensor<2x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>, tensor<64x2xf32>
  return
}

// -----

// No implicit precision casts (gate).
func.func @negative_shared_expert_gate_type(%x: tensor<2x64xf32>, %wg: tensor<64x128xf32>, %wd: tensor<128x64xf32>, %g: tensor<64x1xbf16>) {
  // expected-error @+1 {{'moe.shared_expert' op expected gate element type 'bf16' to match x element type 'f32'}}
  %0 = moe.shared_expert %x, %wg, %wg, %wd gate %g : tensor<2x64xf32>, tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>, tensor<64x1xbf16>
  return
}
