// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// Every peer holds the same number of experts.
func.func @negative_peer_counts_not_divisible(%sizes: tensor<6xi32>) {
  // expected-error @+1 {{'moe.peer_counts' op peers = 4 does not divide the 6 counts}}
  %0 = moe.peer_counts %sizes peers = 4 : tensor<6xi32>
  return
}

// -----

func.func @negative_peer_counts_zero_peers(%sizes: tensor<8xi32>) {
  // expected-error @+1 {{'moe.peer_counts' op peers must be positive, got 0}}
  %0 = moe.peer_counts %sizes peers = 0 : tensor<8xi32>
  return
}

// -----

// Counts are i32, as moe.dispatch produces them.
func.func @negative_peer_counts_type(%sizes: tensor<8xi64>) {
  // expected-error @+1 {{'moe.peer_counts' op operand #0 must be statically shaped tensor of 32-bit signless integer values}}
  %0 = moe.peer_counts %sizes peers = 4 : tensor<8xi64>
  return
}

// -----

func.func @negative_peer_counts_rank(%sizes: tensor<2x4xi32>) {
  // expected-error @+1 {{'moe.peer_counts' op expected counts to have rank 1 ([N]), got rank 2}}
  %0 = moe.peer_counts %sizes peers = 4 : tensor<2x4xi32>
  return
}
