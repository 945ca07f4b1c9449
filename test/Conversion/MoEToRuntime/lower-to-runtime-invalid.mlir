// RUN: moefold-opt %s --moe-lower-to-runtime -split-input-file -verify-diagnostics

// A collective has no runtime lowering yet (partitioned programs arrive with
// moe-partition); the diagnostic names the op.
spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]
func.func private @negative_collective(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'spmd.all_reduce' has no lowering to the runtime}}
  %r = spmd.all_reduce %x over @mesh[dense] [tp] (P -> R) : tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

// The CPU kernels take f32 and f64 only.
func.func private @negative_bf16(%x: tensor<2x4xbf16>, %w: tensor<4x4xbf16>) -> tensor<2x4xbf16> {
  // expected-error @+1 {{'moe.linear' on 'bf16' tensors has no lowering to the runtime (the CPU kernels take f32 or f64)}}
  %y = moe.linear %x, %w : tensor<2x4xbf16>, tensor<4x4xbf16>
  return %y : tensor<2x4xbf16>
}

// -----

// Index tensors must be i32.
func.func private @negative_i64_tokens(%t: tensor<16x4xf32>, %tokens: tensor<2x3xi64>) -> tensor<2x3x4xf32> {
  // expected-error @+1 {{'moe.embedding' with i64 index tensors has no lowering to the runtime (the kernels take i32 indices)}}
  %h = moe.embedding %t, %tokens : tensor<16x4xf32>, tensor<2x3xi64>
  return %h : tensor<2x3x4xf32>
}

// -----

// A parameter of an unsupported element type is reported at its declaration.
// expected-error @+1 {{'moe.param' on 'f16' tensors has no lowering to the runtime}}
moe.param @half : tensor<4xf16> family = norm

// -----

// Programs are straight-line: one block per function.
// expected-error @+1 {{moe-lower-to-runtime expects straight-line functions (one block)}}
func.func private @negative_blocks(%x: tensor<4xf32>) -> tensor<4xf32> {
  llvm.br ^bb1
^bb1:
  return %x : tensor<4xf32>
}

// -----

// Public functions get the C entry ABI, so calling one inside the module
// would break its callers.
func.func @entry(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func private @negative_calls_entry(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{calls public function @entry, whose signature becomes the C entry ABI; make it private}}
  %y = func.call @entry(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Buffers are allocated statically: arguments need static shapes.
// expected-error @+1 {{moe-lower-to-runtime expects statically shaped arguments, got 'tensor<?x4xf32>'}}
func.func @negative_dynamic(%x: tensor<?x4xf32>) {
  return
}

// -----

// The pass generates @moefold_register itself.
// expected-error @+1 {{the symbol @moefold_register is reserved for moe-lower-to-runtime}}
func.func private @moefold_register() {
  return
}
