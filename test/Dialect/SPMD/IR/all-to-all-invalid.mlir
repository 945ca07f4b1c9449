// RUN: moefold-opt %s -split-input-file -verify-diagnostics

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Exchanging replicated rows would send every token ep times.
func.func @negative_all_to_all_replicate(%x: tensor<8x4xf32>, %c: tensor<4xi64>) -> tensor<?x4xf32> {
  // expected-error @+1 {{exchanges varying values: src and dst must be V, got R -> V}}
  %y = spmd.all_to_all %x, %c, %c over @mesh[expert] [ep] (R -> V) : tensor<8x4xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// One count per peer: 3 counts for 4 ep ranks would drop a peer.
func.func @negative_all_to_all_send_counts_length(%x: tensor<8x4xf32>, %s: tensor<3xi64>, %r: tensor<4xi64>) -> tensor<?x4xf32> {
  // expected-error @+1 {{send_counts has 3 entries but the group over [ep] has 4 ranks (one count per peer)}}
  %y = spmd.all_to_all %x, %s, %r over @mesh[expert] [ep] (V -> V) : tensor<8x4xf32>, tensor<3xi64>, tensor<4xi64> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The receive side is checked like the send side.
func.func @negative_all_to_all_recv_counts_length(%x: tensor<8x4xf32>, %s: tensor<4xi64>, %r: tensor<8xi64>) -> tensor<?x4xf32> {
  // expected-error @+1 {{recv_counts has 8 entries but the group over [ep] has 4 ranks (one count per peer)}}
  %y = spmd.all_to_all %x, %s, %r over @mesh[expert] [ep] (V -> V) : tensor<8x4xf32>, tensor<4xi64>, tensor<8xi64> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Counts are integers, not float weights.
func.func @negative_all_to_all_float_counts(%x: tensor<8x4xf32>, %s: tensor<4xf32>, %r: tensor<4xi64>) -> tensor<?x4xf32> {
  // expected-error @+1 {{operand #1 must be 1D tensor of signless integer values, but got 'tensor<4xf32>'}}
  %y = spmd.all_to_all %x, %s, %r over @mesh[expert] [ep] (V -> V) : tensor<8x4xf32>, tensor<4xf32>, tensor<4xi64> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// Rows move between ranks; the hidden size stays.
func.func @negative_all_to_all_trailing_dim(%x: tensor<8x4xf32>, %c: tensor<4xi64>) -> tensor<?x8xf32> {
  // expected-error @+1 {{result dimension 1 is 8 but operand dimension 1 is 4; only dim 0 may change}}
  %y = spmd.all_to_all %x, %c, %c over @mesh[expert] [ep] (V -> V) : tensor<8x4xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// A scalar has no rows to exchange.
func.func @negative_all_to_all_scalar(%x: tensor<f32>, %c: tensor<4xi64>) -> tensor<f32> {
  // expected-error @+1 {{operand must have rank >= 1 (rows are dimension 0), got rank 0}}
  %y = spmd.all_to_all %x, %c, %c over @mesh[expert] [ep] (V -> V) : tensor<f32>, tensor<4xi64>, tensor<4xi64> -> tensor<f32>
  return %y : tensor<f32>
}

// -----

spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// The exchange moves data, it does not cast it.
func.func @negative_all_to_all_element_type(%x: tensor<8x4xf32>, %c: tensor<4xi64>) -> tensor<?x4xbf16> {
  // expected-error @+1 {{result element type 'bf16' differs from operand element type 'f32'}}
  %y = spmd.all_to_all %x, %c, %c over @mesh[expert] [ep] (V -> V) : tensor<8x4xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<?x4xbf16>
  return %y : tensor<?x4xbf16>
}
