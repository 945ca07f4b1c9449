// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The generic form can pair the scores of the scaled dispatch / weighted
// combine with their gradients inconsistently; each is a diagnostic, never
// a crash.

func.func @negative_combine_grad_scores_without_dscores(%x: tensor<64x64xf32>, %i: tensor<2x16x2xi32>, %d: tensor<2x16x64xf32>, %s: tensor<2x16x2xf32>) {
  // expected-error @+1 {{'moe.combine_grad' op with scores needs a dscores result}}
  %a = "moe.combine_grad"(%x, %i, %s, %d) {num_experts = 8 : i64} : (tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>, tensor<2x16x64xf32>) -> (tensor<64x64xf32>)
  return
}

// -----

func.func @negative_combine_grad_dscores_without_scores(%x: tensor<64x64xf32>, %i: tensor<2x16x2xi32>, %d: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.combine_grad' op has a dscores result but no scores operand (an unweighted combine)}}
  %a, %b = "moe.combine_grad"(%x, %i, %d) {num_experts = 8 : i64} : (tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x64xf32>) -> (tensor<64x64xf32>, tensor<7x7xf64>)
  return
}

// -----

func.func @negative_dispatch_grad_scores_without_x(%i: tensor<2x16x2xi32>, %d: tensor<64x64xf32>, %s: tensor<2x16x2xf32>) {
  // expected-error @+1 {{'moe.dispatch_grad' op takes scores and x together (the scaled dispatch's operands), got scores without x}}
  %a, %b = "moe.dispatch_grad"(%i, %d, %s) {num_experts = 8 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0>} : (tensor<2x16x2xi32>, tensor<64x64xf32>, tensor<2x16x2xf32>) -> (tensor<2x16x64xf32>, tensor<2x16x2xf32>)
  return
}

// -----

func.func @negative_dispatch_grad_x_without_scores(%i: tensor<2x16x2xi32>, %d: tensor<64x64xf32>, %x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'moe.dispatch_grad' op takes scores and x together (the scaled dispatch's operands), got x without scores}}
  %a = "moe.dispatch_grad"(%i, %d, %x) {num_experts = 8 : i64, operandSegmentSizes = array<i32: 1, 1, 0, 1>} : (tensor<2x16x2xi32>, tensor<64x64xf32>, tensor<2x16x64xf32>) -> (tensor<2x16x64xf32>)
  return
}

// -----

func.func @negative_vocab_size_negative(%l: tensor<2x16x128xf32>, %off: tensor<1xi32>, %t: tensor<2x16xi32>) -> tensor<2x16xf32> {
  // expected-error @+1 {{vocab_size = -5 is smaller than the shard's 128 columns}}
  %tl = moe.vocab_target_logit %l, %off, %t vocab_size = -5 : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x16xi32>
  return %tl : tensor<2x16xf32>
}

// -----

func.func @negative_pack_overflow(%a: tensor<4611686018427387904x4xf32>) -> tensor<0xf32> {
  // expected-error @+1 {{'moe.pack' op the operands have more than 2^63 elements together}}
  %b = moe.pack %a, %a : tensor<4611686018427387904x4xf32>, tensor<4611686018427387904x4xf32> -> tensor<0xf32>
  return %b : tensor<0xf32>
}
