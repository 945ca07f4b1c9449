// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The weights are per head: [D], not [Nq*D].
func.func @qk_norm_wrong_width(%q: tensor<2x16x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'moe.attention' op expected q_norm to have shape [D] = [16], got [64]}}
  %0 = moe.attention %q, %q, %q qk_norm %w, %w num_heads = 4 num_kv_heads = 4 : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>
  return
}

// -----

func.func @qk_norm_k_wrong_width(%q: tensor<2x16x64xf32>, %w: tensor<16xf32>, %w2: tensor<8xf32>) {
  // expected-error @+1 {{'moe.attention' op expected k_norm to have shape [D] = [16], got [8]}}
  %0 = moe.attention %q, %q, %q qk_norm %w, %w2 num_heads = 4 num_kv_heads = 4 : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<16xf32>, tensor<8xf32>
  return
}

// -----

func.func @qk_norm_element_type(%q: tensor<2x16x64xf32>, %w: tensor<16xf64>) {
  // expected-error @+1 {{'moe.attention' op expected q_norm element type 'f64' to match q element type 'f32'}}
  %0 = moe.attention %q, %q, %q qk_norm %w, %w num_heads = 4 num_kv_heads = 4 : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<16xf64>, tensor<16xf64>
  return
}

// -----

func.func @qk_norm_one_weight(%q: tensor<2x16x64xf32>, %w: tensor<16xf32>) {
  // expected-error @+1 {{'moe.attention' op qk_norm expects two weights (q, k), got 1}}
  %0 = moe.attention %q, %q, %q qk_norm %w num_heads = 4 num_kv_heads = 4 : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<16xf32>
  return
}

// -----

func.func @epsilon_without_qk_norm(%q: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.attention' op epsilon is only allowed with qk_norm}}
  %0 = moe.attention %q, %q, %q num_heads = 4 num_kv_heads = 4 epsilon = 1.0e-06 : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>
  return
}

// -----

func.func @qk_norm_zero_epsilon(%q: tensor<2x16x64xf32>, %w: tensor<16xf32>) {
  // expected-error @+1 {{'moe.attention' op epsilon must be positive and finite, got 0.000000e+00}}
  %0 = moe.attention %q, %q, %q qk_norm %w, %w num_heads = 4 num_kv_heads = 4 epsilon = 0.0 : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<16xf32>, tensor<16xf32>
  return
}

// -----

func.func @grad_qk_norm_wrong_width(%q: tensor<2x16x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'moe.attention_grad' op expected q_norm to have shape [D] = [16], got [32]}}
  %0:5 = moe.attention_grad %q, %q, %q, %q qk_norm %w, %w num_heads = 4 num_kv_heads = 4 : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<32xf32>, tensor<32xf32>
  return
}

// -----

// Only the generic form can leave out dq_norm, dk_norm.
func.func @grad_qk_norm_missing_results(%q: tensor<2x16x64xf32>, %w: tensor<16xf32>) {
  // expected-error @+1 {{'moe.attention_grad' op expected dq_norm, dk_norm results exactly when qk_norm is given}}
  %0:3 = "moe.attention_grad"(%q, %q, %q, %q, %w, %w) <{num_heads = 4 : i64, num_kv_heads = 4 : i64}> : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<16xf32>, tensor<16xf32>) -> (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>)
  return
}
