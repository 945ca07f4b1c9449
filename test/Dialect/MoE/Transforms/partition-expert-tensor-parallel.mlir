// RUN: moefold-opt %moefold_src/examples/tiny_moe_etp.mlir --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition --spmd-verify-types | FileCheck %s
// RUN: sed '/moe.w_gate\|moe.w_up/ s/{ep = S(0)}/{ep = S(0), etp = S(2)}/; /moe.w_down/ s/{ep = S(0)}/{ep = S(0), etp = S(1)}/; s/ep = 4, etp = 1/ep = 2, etp = 2/' %moefold_src/examples/tiny_moe_score_first.mlir | moefold-opt --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition --spmd-verify-types | FileCheck %s --check-prefix=FIRST

// Expert tensor parallelism, etp = tp (docs/partition.md, "Expert tensor
// parallelism"): world 8 = dp 4 x tp 2 = edp 2 x ep 2 x etp 2, the routed
// experts split by expert over ep and on F over etp. No fold: every tp lane
// dispatches all its tokens; the expert outputs are a pending sum over tp
// (the F contraction) that the combine keeps and its consumer reduces; in the
// backward the router's score gradient is that pending sum too and is
// all-reduced over tp before moe.router_grad (torchtitan #2416, case 2). The
// partitioned step passes the local type check.

// The experts' local weights: [E/ep, H, F/etp] and [E/ep, F/etp, H].
// CHECK: moe.param @layers.0.moe.w_gate : tensor<4x64x64xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0), etp = S(2)}> {{.*}}{global_type = tensor<8x64x128xf32>}
// CHECK: moe.param @layers.0.moe.w_down : tensor<4x64x64xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0), etp = S(1)}> {{.*}}{global_type = tensor<8x128x64xf32>}

// -- Forward (layer 0 of the gradient function) ---------------------------
// CHECK-LABEL: func.func @train_step_grad(
// The router and the dispatch on the same whole local batch (no fold).
// CHECK: %[[SCORES:[^,]*]], %[[IDX:[^,]*]], %{{.*}} = moe.router %[[H:[^,]*]], %{{.*}} scoring = softmax
// CHECK-NEXT: %[[SORTED:[^,]*]], %[[SIZES:[^ ]*]] = moe.dispatch %[[H]], %[[IDX]] num_experts = 8 : tensor<2x16x64xf32>, tensor<2x16x2xi32>
// Counts and rows over ep (the ranks with the same tp index).
// CHECK: %[[PEER:.*]] = spmd.all_to_all %[[SIZES]], %{{.*}} over @mesh[expert] [ep] (V -> V) : tensor<8xi32>
// CHECK: %[[WG:.*]] = moe.get_param @layers.0.moe.w_gate {spmd.local = #spmd.local<@mesh[expert] {edp = R, ep = V, etp = V}>} : tensor<4x64x64xf32>
// CHECK: %[[ROWS:.*]] = spmd.all_to_all %[[SORTED]], {{.*}} over @mesh[expert] [ep] (V -> V) : tensor<64x64xf32>, tensor<2xi32>, tensor<2xi32> -> tensor<128x64xf32>
// The local experts on this lane's F slice: a pending sum over etp = tp.
// CHECK-NEXT: %[[OUT:.*]] = moe.experts %[[ROWS]], %[[PEER]], %[[WG]], %{{.*}}, %{{.*}} : tensor<128x64xf32>, tensor<8xi32>, tensor<4x64x64xf32>, tensor<4x64x64xf32>, tensor<4x64x64xf32>
// CHECK-NEXT: %[[BACK:.*]] = spmd.all_to_all %[[OUT]], {{.*}} over @mesh[expert] [ep] (V -> V) : tensor<128x64xf32>, {{.*}} -> tensor<64x64xf32>
// The combine keeps it pending (linear in the expert outputs); joined with
// the shared expert's row-parallel pending sum and the residual, one
// all-reduce over tp.
// CHECK-NEXT: %[[Y:.*]] = moe.combine %[[BACK]], %[[IDX]], %[[SCORES]] : tensor<64x64xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>
// CHECK-NOT: spmd.all_gather
// CHECK: %[[MOE:.*]] = moe.add %[[Y]], %{{.*}} : tensor<2x16x64xf32>
// CHECK-NEXT: %[[MOEP:.*]] = spmd.reinterpret %[[MOE]] over @mesh[dense] [tp] (V -> P)
// CHECK-NEXT: %[[RES:.*]] = moe.add %{{.*}}, %[[MOEP]] : tensor<2x16x64xf32>
// CHECK: spmd.all_reduce %[[RES]] over @mesh[dense] [tp] (P -> R) : tensor<2x16x64xf32>

// -- Backward of layer 0 (scores after the experts) -----------------------
// CHECK: %[[DEO:[^,]*]], %[[DSC:[^ ]*]] = moe.combine_grad %[[BACK]], %[[IDX]], %[[SCORES]], %{{.*}} num_experts = 8
// CHECK: %[[DROWS:.*]] = spmd.all_to_all %[[DEO]], {{.*}} over @mesh[expert] [ep] (V -> V)
// CHECK-NEXT: %[[DSORTED:[^,]*]], %[[DWG:[^,]*]], %[[DWU:[^,]*]], %[[DWD:[^ ]*]] = moe.experts_grad %[[ROWS]], %[[PEER]], %[[WG]], %{{.*}}, %{{.*}}, %[[DROWS]] : tensor<128x64xf32>, tensor<8xi32>, tensor<4x64x64xf32>, tensor<4x64x64xf32>, tensor<4x64x64xf32>
// CHECK-NEXT: %[[DS:.*]] = spmd.all_to_all %[[DSORTED]], {{.*}} over @mesh[expert] [ep] (V -> V)
// CHECK-NEXT: %[[DX:.*]] = moe.dispatch_grad %[[IDX]], %[[DS]] num_experts = 8 : tensor<2x16x2xi32>, tensor<64x64xf32> -> tensor<2x16x64xf32>
// The router's score gradient <d_out, expert_out> is a pending sum over tp:
// reduced before moe.router_grad.
// CHECK: %[[DSCR:.*]] = spmd.all_reduce %[[DSC]] over @mesh[dense] [tp] (V -> R) : tensor<2x16x2xf32>
// CHECK: moe.router_grad %[[H]], %{{.*}}, %{{.*}}, %[[IDX]], %[[DSCR]], %{{.*}}
// Expert weight gradients: shards over ep and etp, summed over edp.
// CHECK-DAG: spmd.all_reduce %[[DWG]] over @mesh[expert] [edp] (V -> R) : tensor<4x64x64xf32>
// CHECK-DAG: spmd.all_reduce %[[DWD]] over @mesh[expert] [edp] (V -> R) : tensor<4x64x64xf32>

// Scores before the experts: moe.dispatch_grad's d_scores = <d_sorted, x>,
// with d_sorted pending over etp = tp, is reduced over tp before
// moe.router_grad.
// FIRST-LABEL: func.func @train_step_grad(
// FIRST: %[[DSORTED:[^,]*]], {{.*}} = moe.experts_grad
// FIRST-NEXT: %[[DS:.*]] = spmd.all_to_all %[[DSORTED]], {{.*}} over @mesh[expert] [ep] (V -> V)
// FIRST-NEXT: %[[DX:[^,]*]], %[[DSC:[^ ]*]] = moe.dispatch_grad %{{.*}}, %[[DS]] scores %{{.*}}, %{{.*}} num_experts = 8
// FIRST: %[[DSCR:.*]] = spmd.all_reduce %[[DSC]] over @mesh[dense] [tp] (V -> R) : tensor<2x16x2xf32>
// FIRST-NEXT: spmd.convert
// FIRST-NEXT: moe.router_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[DSCR]], %{{.*}} scoring = sigmoid
