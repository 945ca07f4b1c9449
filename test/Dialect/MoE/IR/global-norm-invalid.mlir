// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// The norm of nothing is meaningless (a model without parameters); only the generic form can write it.
func.func @negative_global_norm_empty() -> tensor<f32> {
  // expected-error @+1 {{'moe.global_norm' op expects at least one gradient}}
  %n = "moe.global_norm"() : () -> tensor<f32>
  return %n : tensor<f32>
}
