// RUN: moefold-opt %moefold_src/examples/tiny_moe_score_first.mlir --moe-autodiff --moe-build-train-step --moe-propagate-placements --moe-partition --spmd-verify-types | FileCheck %s

// Scores before the experts under expert parallelism, world 8 = dp 4 x tp 2
// = edp 2 x ep 4 (the example's mesh): the folded dispatch carries the
// scores (folded over tp with the tokens they scale), the combine sums
// unweighted, and in the backward the router's score gradient comes from
// moe.dispatch_grad. Each tp lane computes it for its own folded tokens only
// (a tp-partial score gradient, the torchtitan-2416 situation); the
// all_gather over [tp] makes it whole before moe.router_grad. The step passes
// the local type check (--spmd-verify-types).

// -- Forward (layer 0 of the gradient function) ---------------------------
// CHECK-LABEL: func.func @train_step_grad(
// CHECK: %[[X:.*]] = spmd.convert %{{.*}} over @mesh[dense] [tp] (R -> V) dim 0 : tensor<2x16x64xf32> -> tensor<1x16x64xf32>
// CHECK: %[[IDX:.*]] = spmd.convert %indices over @mesh[dense] [tp] (R -> V) dim 0 : tensor<2x16x2xi32> -> tensor<1x16x2xi32>
// CHECK: %[[SC:.*]] = spmd.convert %scores over @mesh[dense] [tp] (R -> V) dim 0 : tensor<2x16x2xf32> -> tensor<1x16x2xf32>
// CHECK: %[[SORTED:[^,]*]], %{{.*}} = moe.dispatch %[[X]], %[[IDX]] scores %[[SC]] num_experts = 8 : tensor<1x16x64xf32>, tensor<1x16x2xi32>, tensor<1x16x2xf32>
// CHECK: %[[ROWS:.*]] = spmd.all_to_all %[[SORTED]], %[[SEND:.*]], %[[RECV:.*]] over @mesh[expert] [ep] (V -> V) : tensor<32x64xf32>, tensor<4xi32>, tensor<4xi32> -> tensor<128x64xf32>
// CHECK: %[[YR:.*]] = moe.experts %[[ROWS]],
// CHECK: %[[BACK:.*]] = spmd.all_to_all %[[YR]], %[[RECV]], %[[SEND]] over @mesh[expert] [ep] (V -> V) : tensor<128x64xf32>, tensor<4xi32>, tensor<4xi32> -> tensor<32x64xf32>
// No scores at the combine: an unweighted sum of the copies.
// CHECK: %[[OUT:.*]] = moe.combine %[[BACK]], %[[IDX]] : tensor<32x64xf32>, tensor<1x16x2xi32>
// CHECK: spmd.all_gather %[[OUT]] over @mesh[dense] [tp] (V -> R) dim 0 : tensor<1x16x64xf32> -> tensor<2x16x64xf32>

// -- Backward of layer 0 (it comes last) ----------------------------------
// The unweighted combine's gradient has no score gradient.
// CHECK: %[[DEO:.*]] = moe.combine_grad %[[BACK]], %[[IDX]], %{{.*}} num_experts = 8 : tensor<32x64xf32>, tensor<1x16x2xi32>, tensor<1x16x64xf32>
// CHECK: %[[DIN:.*]] = spmd.all_to_all %[[DEO]], %[[SEND]], %[[RECV]] over @mesh[expert] [ep] (V -> V)
// CHECK: %[[DROWS:[^,]*]], {{.*}} = moe.experts_grad %[[ROWS]], {{.*}}, %[[DIN]] :
// CHECK: %[[DSORTED:.*]] = spmd.all_to_all %[[DROWS]], %[[RECV]], %[[SEND]] over @mesh[expert] [ep] (V -> V) : tensor<128x64xf32>, tensor<4xi32>, tensor<4xi32> -> tensor<32x64xf32>
// The dispatch's gradient with the folded scores and tokens of the forward:
// dx and this lane's tokens' score gradient (tp-partial: 1 of 2 batch rows).
// CHECK: %{{.*}}, %[[DS:.*]] = moe.dispatch_grad %[[IDX]], %[[DSORTED]] scores %[[SC]], %[[X]] num_experts = 8 : tensor<1x16x2xi32>, tensor<32x64xf32>, tensor<1x16x2xf32>, tensor<1x16x64xf32> -> tensor<1x16x64xf32>, tensor<1x16x2xf32>
// Made whole over tp before the router's gradient: the reduction whose
// absence is torchtitan-2416.
// CHECK-NEXT: %[[DSW:.*]] = spmd.all_gather %[[DS]] over @mesh[dense] [tp] (V -> R) dim 0 : tensor<1x16x2xf32> -> tensor<2x16x2xf32>
// CHECK: moe.router_grad %{{.*}}, %{{.*}}, %probs, %indices, %[[DSW]], %{{.*}} scoring = sigmoid top_k = 2 : tensor<2x16x64xf32>, tensor<64x8xf32>, tensor<2x16x8xf32>, tensor<2x16x2xi32>, tensor<2x16x2xf32>
