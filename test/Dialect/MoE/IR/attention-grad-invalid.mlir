// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The forward rule applies: query heads group evenly over kv heads.
func.func @negative_attention_grad_heads(%q: tensor<2x16x64xf32>, %k: tensor<2x16x48xf32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.attention_grad' op num_heads = 4 is not a multiple of num_kv_heads = 3}}
  %dq, %dk, %dv = moe.attention_grad %q, %k, %k, %dout num_heads = 4 num_kv_heads = 3 : tensor<2x16x64xf32>, tensor<2x16x48xf32>, tensor<2x16x48xf32>
  return
}

// -----

// k must match the kv layout the forward op would require.
func.func @negative_attention_grad_k_shape(%q: tensor<2x16x64xf32>, %k: tensor<2x16x64xf32>, %v: tensor<2x16x32xf32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.attention_grad' op expected k to have shape [B, S, Nkv*D] with Nkv = 2, D = 16 = [2, 16, 32], got [2, 16, 64]}}
  %dq, %dk, %dv = moe.attention_grad %q, %k, %v, %dout num_heads = 4 num_kv_heads = 2 : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x32xf32>
  return
}

// -----

// Non-positive head counts are caught before any division.
func.func @negative_attention_grad_zero_heads(%q: tensor<2x16x64xf32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.attention_grad' op num_heads must be positive, got 0}}
  %dq, %dk, %dv = moe.attention_grad %q, %q, %q, %dout num_heads = 0 num_kv_heads = 1 : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>
  return
}
