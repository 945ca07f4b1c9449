// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// A zero base would make every frequency 0^(-2i/D): undefined.
func.func @negative_attention_rope_zero(%q: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.attention' op rope_theta must be positive and finite, got 0.000000e+00}}
  %0 = moe.attention %q, %q, %q num_heads = 4 num_kv_heads = 4 rope_theta = 0.0 : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>
  return
}

// -----

// A negative base has no real powers.
func.func @negative_attention_rope_negative(%q: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.attention' op rope_theta must be positive and finite, got -1.000000e+04}}
  %0 = moe.attention %q, %q, %q num_heads = 4 num_kv_heads = 4 causal rope_theta = -1.0e+04 : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>
  return
}

// -----

// Infinity is not a usable base either (0x7FF0... is +inf as f64).
func.func @negative_attention_rope_infinite(%q: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.attention' op rope_theta must be positive and finite, got INF}}
  %0 = moe.attention %q, %q, %q num_heads = 4 num_kv_heads = 4 rope_theta = 0x7FF0000000000000 : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>
  return
}

// -----

// Half-split rotation pairs element i with i + D/2: D must be even
// (48 / 8 heads = 6 is fine, 24 / 8 = 3 is not).
func.func @negative_attention_rope_odd_head_dim(%q: tensor<2x16x24xf32>) {
  // expected-error @+1 {{'moe.attention' op rope_theta needs an even head dimension, got D = 3}}
  %0 = moe.attention %q, %q, %q num_heads = 8 num_kv_heads = 8 causal rope_theta = 1.0e+04 : tensor<2x16x24xf32>, tensor<2x16x24xf32>, tensor<2x16x24xf32>
  return
}

// -----

// The gradient op applies the forward rule.
func.func @negative_attention_grad_rope_odd_head_dim(%q: tensor<1x4x6xf32>, %dout: tensor<1x4x6xf32>) {
  // expected-error @+1 {{'moe.attention_grad' op rope_theta needs an even head dimension, got D = 3}}
  %dq, %dk, %dv = moe.attention_grad %q, %q, %q, %dout num_heads = 2 num_kv_heads = 2 rope_theta = 1.0e+04 : tensor<1x4x6xf32>, tensor<1x4x6xf32>, tensor<1x4x6xf32>
  return
}

// -----

func.func @negative_attention_grad_rope_negative(%q: tensor<1x4x8xf32>, %dout: tensor<1x4x8xf32>) {
  // expected-error @+1 {{'moe.attention_grad' op rope_theta must be positive and finite, got -2.000000e+00}}
  %dq, %dk, %dv = moe.attention_grad %q, %q, %q, %dout num_heads = 2 num_kv_heads = 2 rope_theta = -2.0 : tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
  return
}

// -----

// rope_theta is a float: an integer literal is a parse error, not 0.
func.func @negative_attention_rope_integer(%q: tensor<1x4x8xf32>) {
  // expected-error @+2 {{unexpected decimal integer literal for a floating point value}}
  // expected-note @+1 {{add a trailing dot to make the literal a float}}
  %0 = moe.attention %q, %q, %q num_heads = 2 num_kv_heads = 2 rope_theta = 10000 : tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
  return
}
