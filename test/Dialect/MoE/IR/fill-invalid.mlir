// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// An infinite fill is almost always a bug (and never a gradient).
func.func @negative_fill_inf() -> tensor<4xf32> {
  // expected-error @+1 {{'moe.fill' op value must be finite, got INF}}
  %v = moe.fill 0x7FF0000000000000 : tensor<4xf32>
  return %v : tensor<4xf32>
}

// -----

// f16 tops out at 65504; the value would silently become inf.
func.func @negative_fill_overflow() -> tensor<4xf16> {
  // expected-error @+1 {{'moe.fill' op value 1.000000e+05 overflows 'f16'}}
  %v = moe.fill 100000.0 : tensor<4xf16>
  return %v : tensor<4xf16>
}

// -----

// Shapes are static (a fill has no operand to take a dynamic size from).
func.func @negative_fill_dynamic() -> tensor<?xf32> {
  // expected-error @+1 {{'moe.fill' op result #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<?xf32>'}}
  %v = moe.fill 0.0 : tensor<?xf32>
  return %v : tensor<?xf32>
}
