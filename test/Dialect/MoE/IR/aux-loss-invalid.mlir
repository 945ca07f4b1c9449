// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The loss needs static shapes to know the global token count.
func.func @negative_aux_loss_dynamic(%p: tensor<?x16x8xf32>, %i: tensor<2x16x2xi32>) {
  // expected-error @+1 {{'moe.aux_loss' op expected probs to be a statically shaped tensor, got 'tensor<?x16x8xf32>'}}
  %0 = moe.aux_loss %p, %i num_experts = 8 coefficient = 1.0e-02 : tensor<?x16x8xf32>, tensor<2x16x2xi32>
  return
}

// -----

// probs are the router's [B, S, E].
func.func @negative_aux_loss_probs_rank(%p: tensor<32x8xf32>, %i: tensor<2x16x2xi32>) {
  // expected-error @+1 {{'moe.aux_loss' op expected probs to have rank 3 ([B, S, E]), got rank 2}}
  %0 = moe.aux_loss %p, %i num_experts = 8 coefficient = 1.0e-02 : tensor<32x8xf32>, tensor<2x16x2xi32>
  return
}

// -----

// indices are the router's [B, S, K].
func.func @negative_aux_loss_indices_rank(%p: tensor<2x16x8xf32>, %i: tensor<32x2xi32>) {
  // expected-error @+1 {{'moe.aux_loss' op expected indices to have rank 3 ([B, S, K]), got rank 2}}
  %0 = moe.aux_loss %p, %i num_experts = 8 coefficient = 1.0e-02 : tensor<2x16x8xf32>, tensor<32x2xi32>
  return
}

// -----

// probs and indices describe the same tokens.
func.func @negative_aux_loss_token_dims(%p: tensor<2x16x8xf32>, %i: tensor<1x16x2xi32>) {
  // expected-error @+1 {{'moe.aux_loss' op expected indices [B, S] = [1, 16] to match probs [B, S] = [2, 16]}}
  %0 = moe.aux_loss %p, %i num_experts = 8 coefficient = 1.0e-02 : tensor<2x16x8xf32>, tensor<1x16x2xi32>
  return
}

// -----

// There is at least one expert.
func.func @negative_aux_loss_no_experts(%p: tensor<2x16x8xf32>, %i: tensor<2x16x2xi32>) {
  // expected-error @+1 {{'moe.aux_loss' op num_experts must be positive, got 0}}
  %0 = moe.aux_loss %p, %i num_experts = 0 coefficient = 1.0e-02 : tensor<2x16x8xf32>, tensor<2x16x2xi32>
  return
}

// -----

// num_experts is the E of probs; a mismatch means the wrong router.
func.func @negative_aux_loss_num_experts(%p: tensor<2x16x8xf32>, %i: tensor<2x16x2xi32>) {
  // expected-error @+1 {{'moe.aux_loss' op expected probs dim 2 to equal num_experts = 4, got 8}}
  %0 = moe.aux_loss %p, %i num_experts = 4 coefficient = 1.0e-02 : tensor<2x16x8xf32>, tensor<2x16x2xi32>
  return
}

// -----

// K distinct experts per token need at least K experts.
func.func @negative_aux_loss_top_k(%p: tensor<2x16x2xf32>, %i: tensor<2x16x3xi32>) {
  // expected-error @+1 {{'moe.aux_loss' op top_k = 3 exceeds num_experts = 2}}
  %0 = moe.aux_loss %p, %i num_experts = 2 coefficient = 1.0e-02 : tensor<2x16x2xf32>, tensor<2x16x3xi32>
  return
}

// -----

// A negative coefficient would reward imbalance.
func.func @negative_aux_loss_coefficient(%p: tensor<2x16x8xf32>, %i: tensor<2x16x2xi32>) {
  // expected-error @+1 {{'moe.aux_loss' op coefficient must be non-negative and finite, got -1.000000e-02}}
  %0 = moe.aux_loss %p, %i num_experts = 8 coefficient = -1.0e-02 : tensor<2x16x8xf32>, tensor<2x16x2xi32>
  return
}
