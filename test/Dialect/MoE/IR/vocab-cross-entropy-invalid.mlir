// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Logits are [B, S, Vl].
func.func @vocab_max_logits_rank(%l: tensor<32x128xf32>, %off: tensor<1xi32>) {
  // expected-error @+1 {{'moe.vocab_max' op expected logits to have rank 3 ([B, S, Vl]), got rank 2}}
  %m = moe.vocab_max %l, %off : tensor<32x128xf32>, tensor<1xi32>
  return
}

// -----

// An empty shard has no maximum.
func.func @vocab_max_empty_shard(%l: tensor<2x16x0xf32>, %off: tensor<1xi32>) {
  // expected-error @+1 {{'moe.vocab_max' op expected a non-empty vocabulary shard (logits dim 2)}}
  %m = moe.vocab_max %l, %off : tensor<2x16x0xf32>, tensor<1xi32>
  return
}

// -----

// The offset is one i32: this rank's slice of the shards' offsets.
func.func @vocab_max_offset_shape(%l: tensor<2x16x128xf32>, %off: tensor<2xi32>) {
  // expected-error @+1 {{'moe.vocab_max' op expected offset of type tensor<1xi32>, got 'tensor<2xi32>'}}
  %m = moe.vocab_max %l, %off : tensor<2x16x128xf32>, tensor<2xi32>
  return
}

// -----

// The max is per token of these logits.
func.func @vocab_sumexp_max_shape(%l: tensor<2x16x128xf32>, %off: tensor<1xi32>, %m: tensor<2x8xf32>) {
  // expected-error @+1 {{'moe.vocab_sumexp' op expected max of type 'tensor<2x16xf32>' (logits [B, S] and element type), got 'tensor<2x8xf32>'}}
  %se = moe.vocab_sumexp %l, %off, %m : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x8xf32>
  return
}

// -----

func.func @vocab_sumexp_max_element_type(%l: tensor<2x16x128xf32>, %off: tensor<1xi32>, %m: tensor<2x16xf64>) {
  // expected-error @+1 {{'moe.vocab_sumexp' op expected max of type 'tensor<2x16xf32>' (logits [B, S] and element type), got 'tensor<2x16xf64>'}}
  %se = moe.vocab_sumexp %l, %off, %m : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x16xf64>
  return
}

// -----

// Targets cover the logits' tokens.
func.func @vocab_target_logit_targets(%l: tensor<2x16x128xf32>, %off: tensor<1xi32>, %t: tensor<2x8xi32>) {
  // expected-error @+1 {{'moe.vocab_target_logit' op expected targets [B, S] = [2, 8] to match logits [B, S] = [2, 16]}}
  %tl = moe.vocab_target_logit %l, %off, %t vocab_size = 256 : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x8xi32>
  return
}

// -----

// The shard is part of the vocabulary.
func.func @vocab_target_logit_vocab_size(%l: tensor<2x16x128xf32>, %off: tensor<1xi32>, %t: tensor<2x16xi32>) {
  // expected-error @+1 {{'moe.vocab_target_logit' op vocab_size = 64 is smaller than the shard's 128 columns}}
  %tl = moe.vocab_target_logit %l, %off, %t vocab_size = 64 : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x16xi32>
  return
}

// -----

// The three statistics have one type.
func.func @vocab_cross_entropy_types(%m: tensor<2x16xf32>, %se: tensor<2x16xf32>, %tl: tensor<2x8xf32>) {
  // expected-error @+1 {{'moe.vocab_cross_entropy' op failed to verify that all of {max, sumexp, target_logit} have same type}}
  %loss = "moe.vocab_cross_entropy"(%m, %se, %tl) {num_tokens = 64 : i64} : (tensor<2x16xf32>, tensor<2x16xf32>, tensor<2x8xf32>) -> tensor<f32>
  return
}

// -----

// The global token count covers at least this rank's tokens.
func.func @vocab_cross_entropy_num_tokens(%m: tensor<2x16xf32>, %se: tensor<2x16xf32>, %tl: tensor<2x16xf32>) {
  // expected-error @+1 {{'moe.vocab_cross_entropy' op num_tokens = 16 must be positive and at least the 32 tokens of this rank}}
  %loss = moe.vocab_cross_entropy %m, %se, %tl num_tokens = 16 : tensor<2x16xf32>
  return
}

// -----

func.func @vocab_cross_entropy_grad_num_tokens(%l: tensor<2x16x128xf32>, %off: tensor<1xi32>, %t: tensor<2x16xi32>, %m: tensor<2x16xf32>, %dl: tensor<f32>) {
  // expected-error @+1 {{'moe.vocab_cross_entropy_grad' op num_tokens = 0 must be positive and at least the 32 tokens of this rank}}
  %d = moe.vocab_cross_entropy_grad %l, %off, %t, %m, %m, %dl num_tokens = 0 : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x16xi32>, tensor<2x16xf32>, tensor<f32>
  return
}

// -----

// dloss is the loss's type.
func.func @vocab_cross_entropy_grad_dloss(%l: tensor<2x16x128xf32>, %off: tensor<1xi32>, %t: tensor<2x16xi32>, %m: tensor<2x16xf32>, %dl: tensor<f64>) {
  // expected-error @+1 {{'moe.vocab_cross_entropy_grad' op expected dloss of type 'tensor<f32>', got 'tensor<f64>'}}
  %d = moe.vocab_cross_entropy_grad %l, %off, %t, %m, %m, %dl num_tokens = 64 : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x16xi32>, tensor<2x16xf32>, tensor<f64>
  return
}
