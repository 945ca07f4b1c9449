// RUN: moefold-opt %moefold_src/examples/tiny_moe.mlir --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition --spmd-verify-types | FileCheck %s
// RUN: moefold-opt %moefold_src/examples/tiny_moe.mlir --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition | moefold-opt --verify-roundtrip > /dev/null

// The example as shipped, world 8 = dp 4 x tp 2 = edp 2 x ep 4: routed
// experts split by expert over ep (two per rank), the folded dispatch
// (docs/partition.md, "Expert parallelism and the folded dispatch"). The
// partitioned step passes the local type check.

// Routed-expert declarations: [8, ...] globally, [2, ...] per rank.
// CHECK: moe.param @layers.0.moe.w_gate : tensor<2x64x128xf32> family = routed_expert {{.*}}{global_type = tensor<8x64x128xf32>}

// -- Forward (layer 0 of the gradient function) ---------------------------
// CHECK-LABEL: func.func @train_step_grad(
// Fold: the tokens (R over tp) and their expert indices, sliced over tp on
// the batch (no communication): each tp lane routes its own tokens.
// CHECK: %[[X:.*]] = spmd.convert %[[Y:.*]] over @mesh[dense] [tp] (R -> V) dim 0 : tensor<2x16x64xf32> -> tensor<1x16x64xf32>
// CHECK: %[[IDX:.*]] = spmd.convert %indices over @mesh[dense] [tp] (R -> V) dim 0 : tensor<2x16x2xi32> -> tensor<1x16x2xi32>
// Local dispatch over the 8 global experts.
// CHECK: %[[SORTED:[^,]*]], %[[SIZES:[^ ]*]] = moe.dispatch %[[X]], %[[IDX]] num_experts = 8 : tensor<1x16x64xf32>, tensor<1x16x2xi32>
// Counts first (E/ep = 2 per peer), then the per-peer row counts.
// CHECK: %[[TWO:.*]] = arith.constant dense<2> : tensor<4xi32>
// CHECK: %[[PEER:.*]] = spmd.all_to_all %[[SIZES]], %[[TWO]], %[[TWO]] over @mesh[expert] [ep] (V -> V) : tensor<8xi32>, tensor<4xi32>, tensor<4xi32> -> tensor<8xi32>
// CHECK: %[[SEND:.*]] = moe.peer_counts %[[SIZES]] peers = 4 : tensor<8xi32>
// CHECK: %[[RECV:.*]] = moe.peer_counts %[[PEER]] peers = 4 : tensor<8xi32>
// CHECK: %[[WG:.*]] = moe.get_param @layers.0.moe.w_gate {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = R}>} : tensor<2x64x128xf32>
// Rows over ep into the capacity ep * Tf * min(K, E/ep) = 4 * 16 * 2.
// CHECK: %[[ROWS:.*]] = spmd.all_to_all %[[SORTED]], %[[SEND]], %[[RECV]] over @mesh[expert] [ep] (V -> V) : tensor<32x64xf32>, tensor<4xi32>, tensor<4xi32> -> tensor<128x64xf32>
// Local experts (2 of them), groups peer-major.
// CHECK: %[[YR:.*]] = moe.experts %[[ROWS]], %[[PEER]], %[[WG]], %{{.*}}, %{{.*}} : tensor<128x64xf32>, tensor<8xi32>, tensor<2x64x128xf32>, tensor<2x64x128xf32>, tensor<2x128x64xf32>
// The inverse exchange (counts swapped), exact.
// CHECK: %[[BACK:.*]] = spmd.all_to_all %[[YR]], %[[RECV]], %[[SEND]] over @mesh[expert] [ep] (V -> V) : tensor<128x64xf32>, tensor<4xi32>, tensor<4xi32> -> tensor<32x64xf32>
// CHECK: %[[SC:.*]] = spmd.convert %scores over @mesh[dense] [tp] (R -> V) dim 0
// CHECK: %[[OUT:.*]] = moe.combine %[[BACK]], %[[IDX]], %[[SC]] : tensor<32x64xf32>, tensor<1x16x2xi32>, tensor<1x16x2xf32>
// Consumers get the tokens whole again: an all_gather over tp.
// CHECK: spmd.all_gather %[[OUT]] over @mesh[dense] [tp] (V -> R) dim 0 : tensor<1x16x64xf32> -> tensor<2x16x64xf32>

// -- Backward (layer 1 comes first) ----------------------------------------
// The output gradient folded like the tokens; combine_grad on the saved
// rows; the score gradient gathered over tp for the router (the router's
// partial score gradient made whole over tp).
// CHECK: moe.aux_loss_grad
// CHECK: %[[DOUT:.*]] = spmd.convert %{{.*}} over @mesh[dense] [tp] (R -> V) dim 0 : tensor<2x16x64xf32> -> tensor<1x16x64xf32>
// CHECK: %[[DBACK:[^,]*]], %[[DSC:[^ ]*]] = moe.combine_grad %{{[^,]*}}, %[[IDX1:[^,]*]], %{{[^,]*}}, %[[DOUT]] num_experts = 8
// CHECK: %[[DSCW:.*]] = spmd.all_gather %[[DSC]] over @mesh[dense] [tp] (V -> R) dim 0 : tensor<1x16x2xf32> -> tensor<2x16x2xf32>
// Transposes of the two exchanges around experts_grad.
// CHECK: %[[DYR:.*]] = spmd.all_to_all %[[DBACK]], %[[SEND1:[^,]*]], %[[RECV1:[^ ]*]] over @mesh[expert] [ep] (V -> V) : tensor<32x64xf32>, tensor<4xi32>, tensor<4xi32> -> tensor<128x64xf32>
// CHECK: %[[DROWS:[^,]*]], %[[DWG1:[^,]*]], %[[DWU1:[^,]*]], %[[DWD1:[^ ]*]] = moe.experts_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[DYR]] : tensor<128x64xf32>, tensor<8xi32>, tensor<2x64x128xf32>
// CHECK: %[[DS:.*]] = spmd.all_to_all %[[DROWS]], %[[RECV1]], %[[SEND1]] over @mesh[expert] [ep] (V -> V) : tensor<128x64xf32>, tensor<4xi32>, tensor<4xi32> -> tensor<32x64xf32>
// CHECK: %[[DX:.*]] = moe.dispatch_grad %[[IDX1]], %[[DS]] num_experts = 8 : tensor<1x16x2xi32>, tensor<32x64xf32> -> tensor<1x16x64xf32>
// The tokens' gradient joins the pending sums over tp (zero-padded).
// CHECK: spmd.convert %[[DX]] over @mesh[dense] [tp] (V -> P) dim 0 : tensor<1x16x64xf32> -> tensor<2x16x64xf32>
// CHECK: moe.router_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[DSCW]],

// Gradient reductions: the router over dp (whole over tp already), the
// routed experts over edp only (each ep rank's experts' rows are complete
// within its ep group): never over dp, tp or ep.
// CHECK: spmd.all_reduce %{{.*}} over @mesh[dense] [dp] (V -> R) : tensor<64x8xf32>
// CHECK-NOT: spmd.all_reduce %[[DWG1]] over @mesh[dense]
// CHECK: spmd.all_reduce %[[DWG1]] over @mesh[expert] [edp] (V -> R) : tensor<2x64x128xf32>
// CHECK: spmd.all_reduce %[[DWU1]] over @mesh[expert] [edp] (V -> R) : tensor<2x64x128xf32>
// CHECK: spmd.all_reduce %[[DWD1]] over @mesh[expert] [edp] (V -> R) : tensor<2x128x64xf32>
// CHECK: return
