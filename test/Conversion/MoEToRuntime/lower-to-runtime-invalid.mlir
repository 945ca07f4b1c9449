// RUN: moefold-opt %s --moe-lower-to-runtime -split-input-file -verify-diagnostics

// Collectives move f32, f64, i32 and i64 (the comm backend's reductions);
// the diagnostic names the op and the element type.
spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]
func.func private @negative_collective_bf16(%x: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  // expected-error @+1 {{'spmd.all_reduce' on 'bf16' tensors has no lowering to the runtime (the collectives move f32, f64, i32 or i64)}}
  %r = spmd.all_reduce %x over @mesh[dense] [tp] (P -> R) : tensor<4x8xbf16>
  return %r : tensor<4x8xbf16>
}

// -----

// A per-rank program names its groups on the module's one mesh.
spmd.mesh @a world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
// expected-error @+1 {{a per-rank program (with spmd collectives or global types) needs exactly one 'spmd.mesh', found 2}}
spmd.mesh @b world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
func.func private @negative_two_meshes(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = spmd.all_reduce %x over @a[dense] [tp] (P -> R) : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// The arith ops moe-partition emits are scalars (0-d tensors); arithmetic on
// larger tensors has no runtime kernel.
func.func private @negative_tensor_arith(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'arith.mulf' on 'tensor<4xf32>' has no lowering to the runtime: only 0-d f32/f64 tensors are lowered (scalars the partitioner emits)}}
  %y = arith.mulf %x, %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Integer constants are scalars or small 1-d tables (per-rank offsets sliced
// by spmd.convert); a 2-d table has no lowering.
func.func private @negative_integer_table(%x: tensor<4xf32>) -> tensor<2x2xi32> {
  // expected-error @+1 {{'arith.constant' on 'tensor<2x2xi32>' has no lowering to the runtime: only splat f32/f64 tensors, 0-d i32/i64 constants and 1-d i32/i64 tables of at most 4096 elements are lowered}}
  %t = arith.constant dense<[[0, 1], [2, 3]]> : tensor<2x2xi32>
  return %t : tensor<2x2xi32>
}

// -----

// A slice of a global tensor must say which slice: without a placement the
// runtime could not initialise, load or gather it. The moe.param verifier
// catches it before the lowering sees it.
spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
// expected-error @+1 {{type 'tensor<4xf32>' is not the local shape of global_type 'tensor<8xf32>'}}
moe.param @w : tensor<4xf32> family = norm {global_type = tensor<8xf32>}

// -----

// The driver reads whole rows of the global batch: tokens split along the
// sequence cannot be fed.
spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
// expected-error @+1 {{splits the sequence of its tokens (#spmd.placement<@mesh[dense] {tp = S(1)}>): the driver reads whole rows of the global batch}}
func.func @moefold_eval(%t: tensor<2x2xi32> {moe.global_type = tensor<2x4xi32>, moe.global_placement = #spmd.placement<@mesh[dense] {tp = S(1)}>},
                        %g: tensor<2x2xi32> {moe.global_type = tensor<2x4xi32>, moe.global_placement = #spmd.placement<@mesh[dense] {tp = S(1)}>}) {
  return
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
