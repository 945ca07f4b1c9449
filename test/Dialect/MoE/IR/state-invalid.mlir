// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// States hold float data only.
// expected-error @+1 {{'moe.state' op type must be a statically shaped tensor of f16, bf16, f32 or f64, got 'tensor<4xi32>'}}
moe.state @counts : tensor<4xi32>

// -----

// Buffers are allocated once, so their shapes are static.
// expected-error @+1 {{'moe.state' op type must be a statically shaped tensor of f16, bf16, f32 or f64, got 'tensor<?x4xf32>'}}
moe.state @m : tensor<?x4xf32>

// -----

// States are module-level symbols, like parameters.
func.func @negative_state_in_function() {
  // expected-error @+1 {{'moe.state' op expects parent op 'builtin.module'}}
  moe.state @m : tensor<4xf32>
  return
}

// -----

// A bad init spec is reported by the shared init parser.
// expected-error @+1 {{normal needs a positive scale, got 0.000000e+00}}
moe.state @m : tensor<4xf32> init = normal(0.0)
