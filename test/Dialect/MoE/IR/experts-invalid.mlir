// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Expert inputs are the flat [N, H] rows from moe.dispatch.
func.func @negative_experts_sorted_rank(%s: tensor<2x32x64xf32>, %g: tensor<8xi32>, %wg: tensor<8x64x128xf32>, %wd: tensor<8x128x64xf32>) {
  // expected-error @+1 {{'moe.experts' op expected sorted to have rank 2 ([N, H]), got rank 3}}
  %0 = moe.experts %s, %g, %wg, %wg, %wd : tensor<2x32x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
  return
}

// -----

// Group sizes are a vector.
func.func @negative_experts_group_sizes_rank(%s: tensor<64x64xf32>, %g: tensor<8x1xi32>, %wg: tensor<8x64x128xf32>, %wd: tensor<8x128x64xf32>) {
  // expected-error @+1 {{'moe.experts' op expected group_sizes to have rank 1 ([G]), got rank 2}}
  %0 = moe.experts %s, %g, %wg, %wg, %wd : tensor<64x64xf32>, tensor<8x1xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
  return
}

// -----

// Expert weights stack one matrix per expert.
func.func @negative_experts_w_gate_rank(%s: tensor<64x64xf32>, %g: tensor<8xi32>, %wg: tensor<64x128xf32>, %wu: tensor<8x64x128xf32>, %wd: tensor<8x128x64xf32>) {
  // expected-error @+1 {{'moe.experts' op expected w_gate to have rank 3 ([E, H, F]), got rank 2}}
  %0 = moe.experts %s, %g, %wg, %wu, %wd : tensor<64x64xf32>, tensor<8xi32>, tensor<64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
  return
}

// -----

// Group g goes through expert g mod E: the number of weight matrices must
// divide the number of groups.
func.func @negative_experts_w_gate_experts(%s: tensor<64x64xf32>, %g: tensor<8xi32>, %wg: tensor<3x64x128xf32>, %wu: tensor<3x64x128xf32>, %wd: tensor<3x128x64xf32>) {
  // expected-error @+1 {{'moe.experts' op expected expert weight w_gate to have shape [E, H, F] with E dividing the 8 groups of group_sizes and H = 64, got [3, 64, 128]}}
  %0 = moe.experts %s, %g, %wg, %wu, %wd : tensor<64x64xf32>, tensor<8xi32>, tensor<3x64x128xf32>, tensor<3x64x128xf32>, tensor<3x128x64xf32>
  return
}

// -----

// w_up must agree with w_gate's F.
func.func @negative_experts_w_up_ffn(%s: tensor<64x64xf32>, %g: tensor<8xi32>, %wg: tensor<8x64x128xf32>, %wu: tensor<8x64x96xf32>, %wd: tensor<8x128x64xf32>) {
  // expected-error @+1 {{'moe.experts' op expected expert weight w_up to have shape [E, H, F] = [8, 64, 128], got [8, 64, 96]}}
  %0 = moe.experts %s, %g, %wg, %wu, %wd : tensor<64x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x96xf32>, tensor<8x128x64xf32>
  return
}

// -----

// w_down is [E, F, H]; passing it as [E, H, F] is caught.
func.func @negative_experts_w_down_transposed(%s: tensor<64x64xf32>, %g: tensor<8xi32>, %wg: tensor<8x64x128xf32>) {
  // expected-error @+1 {{'moe.experts' op expected expert weight w_down to have shape [E, F, H] = [8, 128, 64], got [8, 64, 128]}}
  %0 = moe.experts %s, %g, %wg, %wg, %wg : tensor<64x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>
  return
}

// -----

// No implicit precision casts (w_gate).
func.func @negative_experts_w_gate_element_type(%s: tensor<64x64xf32>, %g: tensor<8xi32>, %wg: tensor<8x64x128xbf16>, %wu: tensor<8x64x128xf32>, %wd: tensor<8x128x64xf32>) {
  // expected-error @+1 {{'moe.experts' op expected w_gate element type 'bf16' to match sorted element type 'f32'}}
  %0 = moe.experts %s, %g, %wg, %wu, %wd : tensor<64x64xf32>, tensor<8xi32>, tensor<8x64x128xbf16>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
  return
}

// -----

// No implicit precision casts (w_up).
func.func @negative_experts_w_up_element_type(%s: tensor<64x64xf32>, %g: tensor<8xi32>, %wg: tensor<8x64x128xf32>, %wu: tensor<8x64x128xf16>, %wd: tensor<8x128x64xf32>) {
  // expected-error @+1 {{'moe.experts' op expected w_up element type 'f16' to match sorted element type 'f32'}}
  %0 = moe.experts %s, %g, %wg, %wu, %wd : tensor<64x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf16>, tensor<8x128x64xf32>
  return
}

// -----

// No implicit precision casts (w_down).
func.func @negative_experts_w_down_element_type(%s: tensor<64x64xf32>, %g: tensor<8xi32>, %wg: tensor<8x64x128xf32>, %wd: tensor<8x128x64xf64>) {
  // expected-error @+1 {{'moe.experts' op expected w_down element type 'f64' to match sorted element type 'f32'}}
  %0 = moe.experts %s, %g, %wg, %wg, %wd : tensor<64x64xf32>, tensor<8xi32>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf64>
  return
}

// -----

// Group sizes are i32 counts, as produced by moe.dispatch.
func.func @negative_experts_group_sizes_type(%s: tensor<64x64xf32>, %g: tensor<8xi64>, %wg: tensor<8x64x128xf32>, %wd: tensor<8x128x64xf32>) {
  // expected-error @+1 {{'moe.experts' op operand #1 must be statically shaped tensor of 32-bit signless integer values}}
  %0 = moe.experts %s, %g, %wg, %wg, %wd : tensor<64x64xf32>, tensor<8xi64>, tensor<8x64x128xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>
  return
}
