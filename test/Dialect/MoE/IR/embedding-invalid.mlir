// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Shapes are static so that dispatch volumes and shards are known.
func.func @negative_embedding_dynamic_table(%table: tensor<?x64xf32>, %tokens: tensor<2x16xi32>) {
  // expected-error @+1 {{'moe.embedding' op expected table to be a statically shaped tensor, got 'tensor<?x64xf32>'}}
  %0 = moe.embedding %table, %tokens : tensor<?x64xf32>, tensor<2x16xi32>
  return
}

// -----

// The table is [V, H].
func.func @negative_embedding_table_rank(%table: tensor<256x64x1xf32>, %tokens: tensor<2x16xi32>) {
  // expected-error @+1 {{'moe.embedding' op expected table to have rank 2 ([V, H]), got rank 3}}
  %0 = moe.embedding %table, %tokens : tensor<256x64x1xf32>, tensor<2x16xi32>
  return
}

// -----

// Tokens are [B, S]; a flat token list is not accepted.
func.func @negative_embedding_tokens_rank(%table: tensor<256x64xf32>, %tokens: tensor<32xi32>) {
  // expected-error @+1 {{'moe.embedding' op expected tokens to have rank 2 ([B, S]), got rank 1}}
  %0 = moe.embedding %table, %tokens : tensor<256x64xf32>, tensor<32xi32>
  return
}

// -----

// Token ids are integers.
func.func @negative_embedding_float_tokens(%table: tensor<256x64xf32>, %tokens: tensor<2x16xf32>) {
  // expected-error @+1 {{'moe.embedding' op operand #1 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = moe.embedding %table, %tokens : tensor<256x64xf32>, tensor<2x16xf32>
  return
}
