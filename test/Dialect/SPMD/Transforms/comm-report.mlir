// RUN: moefold-opt %s --spmd-comm-report -o /dev/null | FileCheck %s
// RUN: moefold-opt %s "--spmd-comm-report=json=true" -o /dev/null | FileCheck %s --check-prefix=JSON
// RUN: moefold-opt %s --spmd-comm-report | FileCheck %s --check-prefix=IR

// Bytes per rank per call, worked out by hand from docs/comm.md's model
// (f32 rows of 8 elements = 32 bytes):
//   all_reduce 16x8 over tp (n = 2): 2 (n-1) S / n = 512
//   all_gather of a 4x8 shard over tp: (n-1) S(in) = 128
//   reduce_scatter to an 8x8 shard over tp: (n-1) S(out) = 256
//   all_to_all over ep (n = 4), 2 rows to every member: 3 * 2 * 32 = 192
//   all_to_all with data-dependent counts: at most its 8 input rows (256)
//   sent and its 16-row capacity (512) received.

spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]

// CHECK: // comm report @step (5 collectives, bytes per rank per call)
// CHECK-NEXT: all_reduce dense.tp n=2 sent 512 received 512 loc(
// CHECK-NEXT: all_gather dense.tp n=2 sent 128 received 128
// CHECK-NEXT: reduce_scatter dense.tp n=2 sent 256 received 256
// CHECK-NEXT: all_to_all expert.ep n=4 sent 192 received 192
// CHECK-NEXT: all_to_all expert.ep n=4 sent <=256 received <=512
// CHECK-NEXT: // per call of @step:
// CHECK-NEXT: dense.tp all_reduce calls 1 sent 512 received 512
// CHECK-NEXT: dense.tp all_gather calls 1 sent 128 received 128
// CHECK-NEXT: dense.tp reduce_scatter calls 1 sent 256 received 256
// CHECK-NEXT: expert.ep all_to_all calls 2 sent <=448 received <=704
// CHECK-NOT: comm report @no_collectives

// JSON: {"collectives":5,"function":"step","per_call":[{"bytes_received":512,"bytes_sent":512,"calls":1,"exact":true,"group":"dense.tp","kind":"all_reduce"},
// JSON-SAME: {"bytes_received":704,"bytes_sent":448,"calls":2,"exact":false,"group":"expert.ep","kind":"all_to_all"}]}

// The IR is unchanged.
// IR: func.func @step
// IR: spmd.all_reduce

func.func @step(%p: tensor<16x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = P}>},
                %v: tensor<4x8xf32> {spmd.local = #spmd.local<@mesh[dense] {tp = V}>},
                %rows: tensor<8x8xf32> {spmd.local = #spmd.local<@mesh[expert] {ep = V}>},
                %send: tensor<4xi64>, %recv: tensor<4xi64>)
    -> (tensor<16x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<16x8xf32>) {
  %r = spmd.all_reduce %p over @mesh[dense] [tp] (P -> R) : tensor<16x8xf32>
  %g = spmd.all_gather %v over @mesh[dense] [tp] (V -> R) dim 0 : tensor<4x8xf32> -> tensor<8x8xf32>
  %s = spmd.reduce_scatter %p over @mesh[dense] [tp] (P -> V) dim 0 : tensor<16x8xf32> -> tensor<8x8xf32>
  %two = arith.constant dense<2> : tensor<4xi64>
  %a = spmd.all_to_all %rows, %two, %two over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<8x8xf32>
  %b = spmd.all_to_all %rows, %send, %recv over @mesh[expert] [ep] (V -> V) : tensor<8x8xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<16x8xf32>
  %local = spmd.convert %r over @mesh[dense] [tp] (R -> V) dim 0 : tensor<16x8xf32> -> tensor<8x8xf32>
  return %r, %g, %s, %a, %b : tensor<16x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<16x8xf32>
}

func.func @no_collectives(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
