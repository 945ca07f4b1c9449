// RUN: sed 's/world = 8/world = 4/; s/ep = 4/ep = 1/' %moefold_src/examples/tiny_moe.mlir | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition | FileCheck %s
// RUN: sed 's/world = 8/world = 4/; s/ep = 4/ep = 1/' %moefold_src/examples/tiny_moe.mlir | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition | moefold-opt --verify-roundtrip > /dev/null

// The example model through the whole front of the pipeline, on
// world 4 = dp 2 x tp 2 with replicated experts (ep = 1; the shipped ep = 4,
// expert parallelism, is partition-expert-parallel.mlir).

// Declarations are per rank and remember their global type.
// CHECK: moe.param @embed : tensor<128x64xf32> family = embedding {{.*}}{global_type = tensor<256x64xf32>}
// CHECK: moe.param @layers.0.attn.wq : tensor<64x32xf32> {{.*}}{global_type = tensor<64x64xf32>}
// CHECK: moe.state @adam_m.embed : tensor<128x64xf32> {global_placement = #spmd.placement<@mesh[dense] {dp = R, tp = S(0)}>, global_type = tensor<256x64xf32>}

// CHECK-LABEL: func.func @moefold_train_step(
// CHECK-SAME: %[[TOKENS:[^:]+]]: tensor<4x16xi32> {moe.global_placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = R}>, moe.global_type = tensor<8x16xi32>, spmd.local = #spmd.local<@mesh[dense] {dp = V, tp = R}>}

// Vocab-parallel embedding: zero-pad the rows, look up, sum over tp.
// CHECK: %[[EMBED:.*]] = moe.get_param @embed {{.*}} : tensor<128x64xf32>
// CHECK-NEXT: %[[PADDED:.*]] = spmd.convert %[[EMBED]] over @mesh[dense] [tp] (V -> P) dim 0 : tensor<128x64xf32> -> tensor<256x64xf32>
// CHECK-NEXT: %[[H0:.*]] = moe.embedding %[[PADDED]], %[[TOKENS]] : tensor<256x64xf32>, tensor<4x16xi32>
// CHECK: spmd.all_reduce %[[H0]] over @mesh[dense] [tp] (P -> R) : tensor<4x16x64xf32>

// Attention on this rank's 4 query heads and 2 kv heads (8 and 4 over tp = 2).
// CHECK: moe.attention {{.*}} num_heads = 4 num_kv_heads = 2 causal : tensor<4x16x32xf32>, tensor<4x16x16xf32>, tensor<4x16x16xf32>

// The load-balancing loss needs the whole batch's router outputs.
// CHECK: spmd.all_gather %probs over @mesh[dense] [dp] (V -> R) dim 0 : tensor<4x16x8xf32> -> tensor<8x16x8xf32>

// The vocab-parallel LM head's logits stay split: the loss reduces three
// per-token statistics over tp (vocab-parallel cross-entropy) and divides
// by the global token count itself, giving this rank's share of the mean.
// CHECK-NOT: spmd.all_gather %{{.*}} dim 2
// CHECK: %[[LOGITS:.*]] = moe.linear %{{.*}} : tensor<4x16x64xf32>, tensor<64x128xf32>
// CHECK: moe.vocab_max %[[LOGITS]]
// CHECK: spmd.all_reduce %{{.*}} over @mesh[dense] [tp] (V -> R) reduction = max : tensor<4x16xf32>
// CHECK: %[[CES:.*]] = moe.vocab_cross_entropy %{{.*}} num_tokens = 128 : tensor<4x16xf32>
// CHECK: %[[CER:.*]] = spmd.all_reduce %[[CES]] over @mesh[dense] [dp] (V -> R) : tensor<f32>
// CHECK-NEXT: %[[LOSS:.*]] = moe.add %[[CER]], %{{.*}} : tensor<f32>

// Gradients: reduced over exactly the axes where they are pending; expert
// weights over dp (never edp: the tp lanes hold the same rows).
// CHECK: spmd.all_reduce %{{.*}} over @mesh[dense] [dp] (V -> R) : tensor<128x64xf32>
// CHECK: moe.set_state @grad.embed
// CHECK: spmd.all_reduce %dw_gate_{{.*}} over @mesh[dense] [dp] (V -> R) : tensor<8x64x128xf32>
// CHECK: spmd.all_reduce %{{.*}} over @mesh[dense] [dp, tp] (V -> R) : tensor<64xf32>

// The global norm: shards of tp-split weights summed over tp only.
// CHECK: %[[N0:.*]] = moe.global_norm
// CHECK-NEXT: %[[S0:.*]] = arith.mulf %[[N0]], %[[N0]]
// CHECK-NEXT: %[[T0:.*]] = spmd.all_reduce %[[S0]] over @mesh[dense] [tp] (V -> R) : tensor<f32>
// CHECK-NEXT: %[[N1:.*]] = moe.global_norm
// CHECK-NEXT: %[[S1:.*]] = arith.mulf %[[N1]], %[[N1]]
// CHECK-NEXT: %[[SUM:.*]] = moe.add %[[T0]], %[[S1]]
// CHECK-NEXT: %[[NORM:.*]] = math.sqrt %[[SUM]]
// CHECK-NEXT: %{{.*}}, %[[APPLY:.*]] = moe.clip_scale %[[NORM]]
// CHECK-NOT: {{\[}}edp
// CHECK: return %[[LOSS]], %[[NORM]], %[[APPLY]] : tensor<f32>, tensor<f32>, tensor<i1>
