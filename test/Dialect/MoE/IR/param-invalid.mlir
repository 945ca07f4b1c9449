// RUN: moefold-opt %s -split-input-file -verify-diagnostics

// A parameter must be a tensor.
// expected-error @+1 {{'moe.param' op type must be a statically shaped tensor of f16, bf16, f32 or f64, got 'f32'}}
moe.param @negative_param_scalar : f32 family = dense

// -----

// Dynamic shapes cannot be initialised or partitioned.
// expected-error @+1 {{type must be a statically shaped tensor of f16, bf16, f32 or f64, got 'tensor<?x64xf32>'}}
moe.param @negative_param_dynamic : tensor<?x64xf32> family = dense

// -----

// Integer tensors are not trainable.
// expected-error @+1 {{type must be a statically shaped tensor of f16, bf16, f32 or f64, got 'tensor<64xi32>'}}
moe.param @negative_param_integer : tensor<64xi32> family = dense

// -----

// A norm weight scales the hidden dimension only.
// expected-error @+1 {{norm parameter must have rank 1 ([H]), got rank 2}}
moe.param @negative_param_norm_rank : tensor<64x64xf32> family = norm

// -----

// An embedding table is [V, H].
// expected-error @+1 {{embedding parameter must have rank 2 ([V, H]), got rank 1}}
moe.param @negative_param_embedding_rank : tensor<256xf32> family = embedding

// -----

// A router weight is [H, E].
// expected-error @+1 {{router parameter must have rank 2 ([H, E]), got rank 3}}
moe.param @negative_param_router_rank : tensor<64x8x1xf32> family = router

// -----

// Routed expert weights stack one matrix per expert.
// expected-error @+1 {{routed_expert parameter must have rank 3 ([E, H, F] or [E, F, H]), got rank 2}}
moe.param @negative_param_routed_expert_rank : tensor<64x128xf32> family = routed_expert

// -----

// Parameters are module-level symbols, never local to a function.
func.func @negative_param_in_function() {
  // expected-error @+1 {{'moe.param' op expects parent op 'builtin.module'}}
  moe.param @p : tensor<4xf32> family = dense
  return
}

// -----

// Unknown family names are parse errors at the family.
// expected-error @+1 {{expected one of [embedding, dense, norm, router, routed_expert, shared_expert] for parameter family, got: expert}}
moe.param @negative_param_family : tensor<4xf32> family = expert

// -----

// Unknown init kinds are parse errors at the spec.
// expected-error @+1 {{expected one of [zeros, ones, constant, normal, truncated_normal, uniform] for init distribution, got: xavier}}
moe.param @negative_param_init_kind : tensor<4xf32> family = dense init = xavier

// -----

// A normal distribution needs a positive standard deviation.
// expected-error @+1 {{normal needs a positive scale, got -2.000000e-02}}
moe.param @negative_param_init_scale : tensor<4xf32> family = dense init = normal(-0.02)

// -----

// Kinds with a value need it in parentheses.
// expected-error @+1 {{expected '('}}
moe.param @negative_param_init_missing_value : tensor<4xf32> family = dense init = uniform
