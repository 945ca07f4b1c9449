// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Queries are [B, S, Nq*D] with heads concatenated.
func.func @negative_attention_q_rank(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x32xf32>) {
  // expected-error @+1 {{'moe.attention' op expected q to have rank 3 ([B, S, Nq*D]), got rank 4}}
  %0 = moe.attention %q, %k, %k num_heads = 4 num_kv_heads = 2 : tensor<2x16x4x16xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
  return
}

// -----

// Zero heads would divide by zero when deriving the head dim.
func.func @negative_attention_zero_heads(%q: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.attention' op num_heads must be positive, got 0}}
  %0 = moe.attention %q, %q, %q num_heads = 0 num_kv_heads = 1 : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>
  return
}

// -----

// Same for kv heads.
func.func @negative_attention_zero_kv_heads(%q: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.attention' op num_kv_heads must be positive, got -2}}
  %0 = moe.attention %q, %q, %q num_heads = 4 num_kv_heads = -2 : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>
  return
}

// -----

// GQA groups query heads evenly over kv heads.
func.func @negative_attention_gqa_groups(%q: tensor<2x16x64xf32>, %k: tensor<2x16x48xf32>) {
  // expected-error @+1 {{'moe.attention' op num_heads = 4 is not a multiple of num_kv_heads = 3}}
  %0 = moe.attention %q, %k, %k num_heads = 4 num_kv_heads = 3 : tensor<2x16x64xf32>, tensor<2x16x48xf32>, tensor<2x16x48xf32>
  return
}

// -----

// The head dim must be an integer.
func.func @negative_attention_head_dim(%q: tensor<2x16x60xf32>) {
  // expected-error @+1 {{'moe.attention' op q width 60 is not divisible by num_heads = 8}}
  %0 = moe.attention %q, %q, %q num_heads = 8 num_kv_heads = 8 : tensor<2x16x60xf32>, tensor<2x16x60xf32>, tensor<2x16x60xf32>
  return
}

// -----

// Keys are [B, S, Nkv*D] too.
func.func @negative_attention_k_rank(%q: tensor<2x16x64xf32>, %k: tensor<32x32xf32>) {
  // expected-error @+1 {{'moe.attention' op expected k to have rank 3 ([B, S, Nkv*D]), got rank 2}}
  %0 = moe.attention %q, %k, %k num_heads = 4 num_kv_heads = 2 : tensor<2x16x64xf32>, tensor<32x32xf32>, tensor<32x32xf32>
  return
}

// -----

// The head dim derived from q (64 / 4 = 16) must agree with k (2 kv heads).
func.func @negative_attention_k_width(%q: tensor<2x16x64xf32>, %k: tensor<2x16x48xf32>) {
  // expected-error @+1 {{'moe.attention' op expected k to have shape [B, S, Nkv*D] with Nkv = 2, D = 16 = [2, 16, 32], got [2, 16, 48]}}
  %0 = moe.attention %q, %k, %k num_heads = 4 num_kv_heads = 2 : tensor<2x16x64xf32>, tensor<2x16x48xf32>, tensor<2x16x48xf32>
  return
}

// -----

// Self-attention: keys cover the same batch and sequence as queries.
func.func @negative_attention_k_sequence(%q: tensor<2x16x64xf32>, %k: tensor<2x8x32xf32>) {
  // expected-error @+1 {{'moe.attention' op expected k to have shape [B, S, Nkv*D] with Nkv = 2, D = 16 = [2, 16, 32], got [2, 8, 32]}}
  %0 = moe.attention %q, %k, %k num_heads = 4 num_kv_heads = 2 : tensor<2x16x64xf32>, tensor<2x8x32xf32>, tensor<2x8x32xf32>
  return
}

// -----

// Values have the shape of keys.
func.func @negative_attention_v_shape(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xf32>, %v: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.attention' op expected v to have shape [B, S, Nkv*D] with Nkv = 2, D = 16 = [2, 16, 32], got [2, 16, 64]}}
  %0 = moe.attention %q, %k, %v num_heads = 4 num_kv_heads = 2 : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x64xf32>
  return
}

// -----

// No implicit precision casts between q and k.
func.func @negative_attention_k_element_type(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xbf16>, %v: tensor<2x16x32xf32>) {
  // expected-error @+1 {{'moe.attention' op expected k element type 'bf16' to match q element type 'f32'}}
  %0 = moe.attention %q, %k, %v num_heads = 4 num_kv_heads = 2 : tensor<2x16x64xf32>, tensor<2x16x32xbf16>, tensor<2x16x32xf32>
  return
}

// -----

// Nor between q and v.
func.func @negative_attention_v_element_type(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xf32>, %v: tensor<2x16x32xf16>) {
  // expected-error @+1 {{'moe.attention' op expected v element type 'f16' to match q element type 'f32'}}
  %0 = moe.attention %q, %k, %v num_heads = 4 num_kv_heads = 2 : tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf16>
  return
}
