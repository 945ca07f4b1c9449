// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The global token count must be static.
func.func @negative_cross_entropy_dynamic(%l: tensor<2x?x256xf32>, %t: tensor<2x16xi32>) {
  // expected-error @+1 {{'moe.cross_entropy' op expected logits to be a statically shaped tensor, got 'tensor<2x?x256xf32>'}}
  %0 = moe.cross_entropy %l, %t : tensor<2x?x256xf32>, tensor<2x16xi32>
  return
}

// -----

// Logits are [B, S, V].
func.func @negative_cross_entropy_logits_rank(%l: tensor<32x256xf32>, %t: tensor<2x16xi32>) {
  // expected-error @+1 {{'moe.cross_entropy' op expected logits to have rank 3 ([B, S, V]), got rank 2}}
  %0 = moe.cross_entropy %l, %t : tensor<32x256xf32>, tensor<2x16xi32>
  return
}

// -----

// Targets are one class id per token, [B, S].
func.func @negative_cross_entropy_targets_rank(%l: tensor<2x16x256xf32>, %t: tensor<2x16x1xi32>) {
  // expected-error @+1 {{'moe.cross_entropy' op expected targets to have rank 2 ([B, S]), got rank 3}}
  %0 = moe.cross_entropy %l, %t : tensor<2x16x256xf32>, tensor<2x16x1xi32>
  return
}

// -----

// Targets must cover the same tokens as the logits.
func.func @negative_cross_entropy_token_dims(%l: tensor<2x16x256xf32>, %t: tensor<2x15xi32>) {
  // expected-error @+1 {{'moe.cross_entropy' op expected targets [B, S] = [2, 15] to match logits [B, S] = [2, 16]}}
  %0 = moe.cross_entropy %l, %t : tensor<2x16x256xf32>, tensor<2x15xi32>
  return
}

// -----

// Targets are integer class ids, not soft labels.
func.func @negative_cross_entropy_float_targets(%l: tensor<2x16x256xf32>, %t: tensor<2x16xf32>) {
  // expected-error @+1 {{'moe.cross_entropy' op operand #1 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = moe.cross_entropy %l, %t : tensor<2x16x256xf32>, tensor<2x16xf32>
  return
}

// -----

// The global token count covers at least the targets' tokens.
func.func @negative_cross_entropy_num_tokens(%l: tensor<2x16x256xf32>, %t: tensor<2x16xi32>) {
  // expected-error @+1 {{'moe.cross_entropy' op num_tokens = 16 must be positive and at least the 32 tokens of the targets}}
  %0 = moe.cross_entropy %l, %t num_tokens = 16 : tensor<2x16x256xf32>, tensor<2x16xi32>
  return
}
