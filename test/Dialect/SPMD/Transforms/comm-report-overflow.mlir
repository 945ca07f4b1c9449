// RUN: moefold-opt %s --spmd-comm-report -o /dev/null | FileCheck %s
// RUN: moefold-opt %s "--spmd-comm-report=json=true" -o /dev/null | FileCheck %s --check-prefix=JSON

// Figures that do not fit in 64 bits are unknown ("?" / -1, not exact),
// never a wrapped-around number.

spmd.mesh @m1 world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]

// CHECK: all_to_all expert.ep n=2 sent <=? received <=?
// CHECK: all_reduce dense.tp n=2 sent <=? received <=?
// JSON: "bytes_received":-1,"bytes_sent":-1,"calls":1,"exact":false,"group":"expert.ep","kind":"all_to_all"
// JSON: "bytes_received":-1,"bytes_sent":-1,"calls":1,"exact":false,"group":"dense.tp","kind":"all_reduce"
func.func @step(%rows: tensor<8x8xf32> {spmd.local = #spmd.local<@m1[expert] {ep = V}>},
                %huge: tensor<9223372036854775807x8xf32> {spmd.local = #spmd.local<@m1[dense] {tp = P}>})
    -> (tensor<8x8xf32>, tensor<9223372036854775807x8xf32>) {
  %c = arith.constant dense<9223372036854775807> : tensor<2xi64>
  %a = spmd.all_to_all %rows, %c, %c over @m1[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<8x8xf32>
  %r = spmd.all_reduce %huge over @m1[dense] [tp] (P -> R) : tensor<9223372036854775807x8xf32>
  return %a, %r : tensor<8x8xf32>, tensor<9223372036854775807x8xf32>
}
