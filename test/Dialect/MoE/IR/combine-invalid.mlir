// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Expert outputs are flat [T*K, H] rows.
func.func @negative_combine_out_rank(%o: tensor<2x32x64xf32>, %i: tensor<2x16x2xi32>, %s: tensor<2x16x2xf32>) {
  // expected-error @+1 {{'moe.combine' op expected expert_out to have rank 2 ([T*K, H]), got rank 3}}
  %0 = moe.combine %o, %i, %s : tensor<2x32x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>
  return
}

// -----

// Indices are the router's [B, S, K].
func.func @negative_combine_indices_rank(%o: tensor<64x64xf32>, %i: tensor<32x2xi32>, %s: tensor<2x16x2xf32>) {
  // expected-error @+1 {{'moe.combine' op expected indices to have rank 3 ([B, S, K]), got rank 2}}
  %0 = moe.combine %o, %i, %s : tensor<64x64xf32>, tensor<32x2xi32>, tensor<2x16x2xf32>
  return
}

// -----

// Dropless dispatch yields exactly one row per (token, k).
func.func @negative_combine_rows(%o: tensor<48x64xf32>, %i: tensor<2x16x2xi32>, %s: tensor<2x16x2xf32>) {
  // expected-error @+1 {{'moe.combine' op expected expert_out to have T*K = 32 * 2 = 64 rows, got 48}}
  %0 = moe.combine %o, %i, %s : tensor<48x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>
  return
}

// -----

// One score per selected expert.
func.func @negative_combine_scores_shape(%o: tensor<64x64xf32>, %i: tensor<2x16x2xi32>, %s: tensor<2x16x8xf32>) {
  // expected-error @+1 {{'moe.combine' op expected scores to have shape [B, S, K] = [2, 16, 2], got [2, 16, 8]}}
  %0 = moe.combine %o, %i, %s : tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x8xf32>
  return
}

// -----

// No implicit precision casts.
func.func @negative_combine_scores_element_type(%o: tensor<64x64xbf16>, %i: tensor<2x16x2xi32>, %s: tensor<2x16x2xf32>) {
  // expected-error @+1 {{'moe.combine' op expected scores element type 'f32' to match expert_out element type 'bf16'}}
  %0 = moe.combine %o, %i, %s : tensor<64x64xbf16>, tensor<2x16x2xi32>, tensor<2x16x2xf32>
  return
}
