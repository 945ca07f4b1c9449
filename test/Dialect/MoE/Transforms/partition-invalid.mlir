// RUN: moefold-opt %s --moe-partition -split-input-file -verify-diagnostics -allow-unregistered-dialect

// Ops without a sharding rule are never copied to every rank unchecked.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_no_rule(%x: tensor<2x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {}>}) -> tensor<2x8xf32> {
    // expected-error @+1 {{'arith.addf' op has no sharding rule: moe-partition cannot compute it per rank}}
    %y = arith.addf %x, %x : tensor<2x8xf32>
    return %y : tensor<2x8xf32>
  }
}

// -----

// The shared rules' constraints are reported (here: attention splits in
// whole heads; 2 kv heads cannot go to 4 ranks although their width 16
// divides by 4).
module {
  spmd.mesh @mesh world = 4 dense = [dp, tp = 4] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_attention_heads(%q: tensor<1x4x32xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(2)}>}, %k: tensor<1x4x16xf32>) -> tensor<1x4x32xf32> {
    // expected-error @+1 {{cannot shard moe.attention k/v heads over tp = 4: num_kv_heads = 2 is not divisible by 4}}
    %a = moe.attention %q, %k, %k num_heads = 4 num_kv_heads = 2 : tensor<1x4x32xf32>, tensor<1x4x16xf32>, tensor<1x4x16xf32>
    return %a : tensor<1x4x32xf32>
  }
}

// -----

// Group sizes are per-rank counts of the rank's own rows: replicated
// (global) counts cannot be turned into them.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_counts(%rows: tensor<8x4xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0)}>}, %sizes: tensor<2xi32>, %wg: tensor<2x4x8xf32>, %wd: tensor<2x8x4xf32>) -> tensor<8x4xf32> {
    // expected-error @+1 {{'moe.experts' op needs an operand that is P(sum) over 'dp' as its producer split it (per-rank counts), but it is R}}
    %y = moe.experts %rows, %sizes, %wg, %wg, %wd : tensor<8x4xf32>, tensor<2xi32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x8x4xf32>
    return %y : tensor<8x4xf32>
  }
}

// -----

// Plans the placement algebra rejects are reported with its reason: a
// pending max only ever becomes R.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_no_plan(%x: tensor<2x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = P(max)}>}, %w: tensor<8x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(0)}>}) -> tensor<2x8xf32> {
    // expected-error @+1 {{'moe.linear' op cannot redistribute an operand of type 'tensor<2x8xf32>' from [dp=R, tp=P(max)] to [dp=R, tp=S(1)]: }}
    %y = moe.linear %x, %w : tensor<2x8xf32>, tensor<8x8xf32>
    return %y : tensor<2x8xf32>
  }
}

// -----

// A value split on the expert view cannot be handed to the dense view
// split (only the folded dispatch moves tokens between the views).
module {
  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_cross_view(%x: tensor<4x8xf32> {spmd.placement = #spmd.placement<@mesh[expert] {edp = S(0)}>}) -> (tensor<4x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0)}>}) {
    // expected-error @+1 {{'func.return' op needs a value placed [dp=S(0), tp=R] on the 'dense' view, but it is placed [edp=S(0), ep=R, etp=R] on the 'expert' view; moe-partition moves values between views only when they are replicated (routed tokens cross to the expert view through the folded dispatch, not by redistribution)}}
    return %x : tensor<4x8xf32>
  }
}

// -----

// Expert weights split over edp (not by expert over ep) are not supported.
module {
  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_expert_split(%rows: tensor<8x4xf32> {spmd.placement = #spmd.placement<@mesh[dense] {}>}, %sizes: tensor<4xi32>, %wg: tensor<4x4x8xf32> {spmd.placement = #spmd.placement<@mesh[expert] {edp = S(0)}>}, %wd: tensor<4x8x4xf32>) -> tensor<8x4xf32> {
    // expected-error @+1 {{'moe.experts_grad' op result #1 is split on the expert view (factor 'e'): routed experts must be replicated or split by expert over ep (the folded dispatch)}}
    %ds, %dwg, %dwu, %dwd = moe.experts_grad %rows, %sizes, %wg, %wg, %wd, %rows : tensor<8x4xf32>, tensor<4xi32>, tensor<4x4x8xf32>, tensor<4x4x8xf32>, tensor<4x8x4xf32>
    return %ds : tensor<8x4xf32>
  }
}

// -----

module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_result_placement(%a: tensor<8x3xf32> {spmd.placement = #spmd.placement<@mesh[dense] {}>}) -> (tensor<8x3xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(1)}>}) {
    // expected-error @-1 {{'func.func' op result #0: placement #spmd.placement<@mesh[dense] {tp = S(1)}> does not fit 'tensor<8x3xf32>': dim 1 of size 3 is not divisible by size 2 of axis 'tp'}}
    return %a : tensor<8x3xf32>
  }
}

// -----

module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_result_mesh(%a: tensor<8x4xf32> {spmd.placement = #spmd.placement<@mesh[dense] {}>}) -> (tensor<8x4xf32> {spmd.placement = #spmd.placement<@other[dense] {}>}) {
    // expected-error @-1 {{'func.func' op result #0: placement #spmd.placement<@other[dense] {}> is on mesh @other, but placements are propagated on @mesh}}
    return %a : tensor<8x4xf32>
  }
}

// -----

module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_scalar_argument(%a: tensor<8x4xf32> {spmd.placement = #spmd.placement<@mesh[dense] {}>}, %b: i32) -> i32 {
    // expected-error @-1 {{'func.func' op argument #1 is not a ranked tensor: cannot partition}}
    return %b : i32
  }
}

// -----

// expected-error @+1 {{moe-partition: expected exactly one 'spmd.mesh' in the module, found 0}}
module {
  func.func @negative_partition_no_mesh(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
    %y = moe.add %x, %x {spmd.placements = [#spmd.placement<@mesh[dense] {}>]} : tensor<2x8xf32>
    return %y : tensor<2x8xf32>
  }
}

// -----

// Parameters change type: a function reading them must be partitioned too.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  moe.param @w : tensor<8x8xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
  func.func @partitioned(%x: tensor<2x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {}>}) -> tensor<2x8xf32> {
    return %x : tensor<2x8xf32>
  }
  // expected-error @+1 {{'func.func' op uses parameters or states but carries no placements; moe-partition gives parameters and states per-rank types, so every function using them must be annotated (run moe-propagate-placements on it) or removed}}
  func.func @negative_partition_unannotated_user() -> tensor<8x8xf32> {
    %w = moe.get_param @w : tensor<8x8xf32>
    return %w : tensor<8x8xf32>
  }
}

// -----

// Routed experts split other than by expert over ep (here over edp).
module {
  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]
  // expected-error @+1 {{'moe.param' op is placed [edp=S(0), ep=R, etp=R]: moe-partition supports routed experts replicated (ep = 1) or split by expert over ep (S(0) on ep) and, with etp = tp, on F over etp (S(2) for w_gate/w_up, S(1) for w_down), replicated elsewhere}}
  moe.param @w_gate : tensor<4x8x16xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {edp = S(0)}>
  func.func @negative_partition_expert_edp(%x: tensor<2x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {}>}) -> tensor<2x8xf32> {
    return %x : tensor<2x8xf32>
  }
}

// -----

// Straight-line functions only.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  // expected-error @+1 {{'func.func' op has 2 blocks: moe-partition handles straight-line functions only}}
  func.func @negative_partition_blocks(%x: tensor<2x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {}>}) -> tensor<2x8xf32> {
    "test.br"()[^bb1] : () -> ()
  ^bb1:
    return %x : tensor<2x8xf32>
  }
}
