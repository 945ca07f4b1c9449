// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Tokens are [B, S], as in the forward op.
func.func @negative_embedding_grad_tokens_rank(%tokens: tensor<32xi32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.embedding_grad' op expected tokens to have rank 2 ([B, S]), got rank 1}}
  %g = moe.embedding_grad %tokens, %dout : tensor<32xi32>, tensor<2x16x64xf32> -> tensor<256x64xf32>
  return
}

// -----

// dout has the forward result's [B, S, H] layout.
func.func @negative_embedding_grad_dout_rank(%tokens: tensor<2x16xi32>, %dout: tensor<32x64xf32>) {
  // expected-error @+1 {{'moe.embedding_grad' op expected dout to have rank 3 ([B, S, H]), got rank 2}}
  %g = moe.embedding_grad %tokens, %dout : tensor<2x16xi32>, tensor<32x64xf32> -> tensor<256x64xf32>
  return
}

// -----

// The table gradient is a [V, H] matrix.
func.func @negative_embedding_grad_dtable_rank(%tokens: tensor<2x16xi32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.embedding_grad' op expected dtable to have rank 2 ([V, H]), got rank 1}}
  %g = moe.embedding_grad %tokens, %dout : tensor<2x16xi32>, tensor<2x16x64xf32> -> tensor<256xf32>
  return
}

// -----

// The gradient of a different batch is caught with both shapes.
func.func @negative_embedding_grad_tokens_mismatch(%tokens: tensor<2x8xi32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.embedding_grad' op expected dout [B, S] = [2, 16] to match tokens [B, S] = [2, 8]}}
  %g = moe.embedding_grad %tokens, %dout : tensor<2x8xi32>, tensor<2x16x64xf32> -> tensor<256x64xf32>
  return
}

// -----

// The table's hidden size must be dout's.
func.func @negative_embedding_grad_hidden(%tokens: tensor<2x16xi32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.embedding_grad' op expected dtable dim 1 to equal hidden size 64, got 32}}
  %g = moe.embedding_grad %tokens, %dout : tensor<2x16xi32>, tensor<2x16x64xf32> -> tensor<256x32xf32>
  return
}

// -----

// No implicit casts between dout and the table.
func.func @negative_embedding_grad_element_type(%tokens: tensor<2x16xi32>, %dout: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.embedding_grad' op expected dtable element type 'bf16' to match dout element type 'f32'}}
  %g = moe.embedding_grad %tokens, %dout : tensor<2x16xi32>, tensor<2x16x64xf32> -> tensor<256x64xbf16>
  return
}
