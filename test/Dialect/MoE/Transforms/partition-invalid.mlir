// RUN: moefold-opt %s --moe-partition -split-input-file -verify-diagnostics -allow-unregistered-dialect

// Every op with results needs its placements: the partitioner never guesses
// a placement propagation did not write.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_missing_placements(%x: tensor<2x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {}>}) -> tensor<2x8xf32> {
    // expected-error @+1 {{'moe.add' op has no 'spmd.placements'; run moe-propagate-placements first}}
    %y = moe.add %x, %x : tensor<2x8xf32>
    return %y : tensor<2x8xf32>
  }
}

// -----

// One placement per result.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_placement_count(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>) -> tensor<2x8xf32> {
    // expected-error @+1 {{'moe.linear_grad' op has 1 entries in 'spmd.placements' for 2 results}}
    %dx, %dw = moe.linear_grad %x, %w, %x {spmd.placements = [#spmd.placement<@mesh[dense] {}>]} : tensor<2x8xf32>, tensor<8x8xf32>, tensor<2x8xf32>
    return %dx : tensor<2x8xf32>
  }
}

// -----

module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_placement_entry(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
    // expected-error @+1 {{'moe.add' op 'spmd.placements' entry #0 must be a #spmd.placement, got "R"}}
    %y = moe.add %x, %x {spmd.placements = ["R"]} : tensor<2x8xf32>
    return %y : tensor<2x8xf32>
  }
}

// -----

// A placement must fit its tensor.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_placement_misfit(%x: tensor<2x7xf32>) -> tensor<2x7xf32> {
    // expected-error @+1 {{'moe.add' op result #0: placement #spmd.placement<@mesh[dense] {tp = S(1)}> does not fit 'tensor<2x7xf32>': dim 1 of size 7 is not divisible by size 2 of axis 'tp'}}
    %y = moe.add %x, %x {spmd.placements = [#spmd.placement<@mesh[dense] {tp = S(1)}>]} : tensor<2x7xf32>
    return %y : tensor<2x7xf32>
  }
}

// -----

// Annotations are not verified by any dialect: the partitioner checks axes.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_unknown_axis(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
    // expected-error @+1 {{'moe.add' op result #0: unknown axis 'ep' in dense view}}
    %y = moe.add %x, %x {spmd.placements = [#spmd.placement<@mesh[dense] {ep = S(1)}>]} : tensor<2x8xf32>
    return %y : tensor<2x8xf32>
  }
}

// -----

module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_other_mesh(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
    // expected-error @+1 {{'moe.add' op result #0: placement #spmd.placement<@other[dense] {}> names mesh @other, but moe-partition runs on @mesh (one mesh per module)}}
    %y = moe.add %x, %x {spmd.placements = [#spmd.placement<@other[dense] {}>]} : tensor<2x8xf32>
    return %y : tensor<2x8xf32>
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

// Ops without a sharding rule are never copied to every rank unchecked.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_no_rule(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
    // expected-error @+1 {{'arith.addf' op has no sharding rule: moe-partition cannot compute it per rank}}
    %y = arith.addf %x, %x {spmd.placements = [#spmd.placement<@mesh[dense] {}>]} : tensor<2x8xf32>
    return %y : tensor<2x8xf32>
  }
}

// -----

// Attention splits in whole heads: 2 kv heads cannot go to 4 ranks even
// though the kv width (2 x 8 = 16) divides by 4.
module {
  spmd.mesh @mesh world = 4 dense = [dp, tp = 4] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_attention_heads(%q: tensor<1x4x32xf32>, %k: tensor<1x4x16xf32>) -> tensor<1x4x32xf32> {
    // expected-error @+1 {{'moe.attention' op cannot split the heads over tp (4 ways): num_heads = 4 and num_kv_heads = 2 must both be divisible by 4 (attention is split in whole heads)}}
    %a = moe.attention %q, %k, %k num_heads = 4 num_kv_heads = 2 {spmd.placements = [#spmd.placement<@mesh[dense] {tp = S(2)}>]} : tensor<1x4x32xf32>, tensor<1x4x16xf32>, tensor<1x4x16xf32>
    return %a : tensor<1x4x32xf32>
  }
}

// -----

// Two results cannot split different factors over one axis.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_factor_conflict(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>) -> tensor<2x8xf32> {
    // expected-error @+1 {{'moe.linear_grad' op results are annotated as sharded on different factors ('l0' and 'k') over axis 'tp'}}
    %dx, %dw = moe.linear_grad %x, %w, %x {spmd.placements = [#spmd.placement<@mesh[dense] {tp = S(0)}>, #spmd.placement<@mesh[dense] {tp = S(0)}>]} : tensor<2x8xf32>, tensor<8x8xf32>, tensor<2x8xf32>
    return %dx : tensor<2x8xf32>
  }
}

// -----

module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_mixed_views(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>) -> tensor<2x8xf32> {
    // expected-error @+1 {{'moe.linear_grad' op results are placed on different views ('dense' and 'expert')}}
    %dx, %dw = moe.linear_grad %x, %w, %x {spmd.placements = [#spmd.placement<@mesh[dense] {}>, #spmd.placement<@mesh[expert] {}>]} : tensor<2x8xf32>, tensor<8x8xf32>, tensor<2x8xf32>
    return %dx : tensor<2x8xf32>
  }
}

// -----

// A value split on the expert view cannot be read on the dense view
// (expert parallelism is not supported yet).
module {
  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_cross_view(%x: tensor<4x8xf32> {spmd.placement = #spmd.placement<@mesh[expert] {edp = S(0)}>}) -> tensor<4x8xf32> {
    // expected-error @+1 {{'moe.add' op needs a value placed [dp=S(0), tp=R] on the 'dense' view, but it is placed [edp=S(0), ep=R, etp=R] on the 'expert' view; moe-partition moves values between views only when they are replicated (expert parallelism, ep > 1, is not supported yet)}}
    %y = moe.add %x, %x {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0)}>]} : tensor<4x8xf32>
    return %y : tensor<4x8xf32>
  }
}

// -----

// Group sizes are per-rank counts of the rank's own rows: replicated
// (global) counts cannot be turned into them.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 1] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_counts(%rows: tensor<8x4xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0)}>}, %sizes: tensor<2xi32>, %wg: tensor<2x4x8xf32>, %wd: tensor<2x8x4xf32>) -> tensor<8x4xf32> {
    // expected-error @+1 {{'moe.experts' op needs an operand that is P(sum) over 'dp' as its producer split it (per-rank counts), but it is R}}
    %y = moe.experts %rows, %sizes, %wg, %wg, %wd {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0)}>]} : tensor<8x4xf32>, tensor<2xi32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x8x4xf32>
    return %y : tensor<8x4xf32>
  }
}

// -----

// A pending sum is made locally by zero-padding only the innermost axis
// that splits a dim.
module {
  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_zero_pad_outer(%a: tensor<8x4xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = P(sum)}>}, %b: tensor<8x4xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = S(0)}>}) -> tensor<8x4xf32> {
    // expected-error @+1 {{'moe.add' op cannot turn a value placed [dp=S(0), tp=S(0)] into a pending sum over 'dp' locally: it is not the innermost axis splitting dim 0; unsupported}}
    %y = moe.add %a, %b {spmd.placements = [#spmd.placement<@mesh[dense] {dp = P(sum)}>]} : tensor<8x4xf32>
    return %y : tensor<8x4xf32>
  }
}

// -----

// Plans the placement algebra rejects are reported with its reason.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_no_plan(%a: tensor<8x4xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = P(sum)}>}, %b: tensor<8x4xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = P(avg)}>}) -> tensor<8x4xf32> {
    // expected-error @+1 {{'moe.add' op cannot redistribute an operand of type 'tensor<8x4xf32>' from [dp=R, tp=P(avg)] to [dp=R, tp=P(sum)]: }}
    %y = moe.add %a, %b {spmd.placements = [#spmd.placement<@mesh[dense] {tp = P(sum)}>]} : tensor<8x4xf32>
    return %y : tensor<8x4xf32>
  }
}

// -----

module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  func.func @negative_partition_result_placement(%a: tensor<8x3xf32> {spmd.placement = #spmd.placement<@mesh[dense] {}>}) -> (tensor<8x3xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(1)}>}) {
    // expected-error @-1 {{'func.func' op result #0: placement #spmd.placement<@mesh[dense] {tp = S(1)}> does not fit 'tensor<8x3xf32>'}}
    return %a : tensor<8x3xf32>
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

// Expert parallelism is the job of moe-fold-dispatch; this pass handles
// replicated experts only.
module {
  spmd.mesh @mesh world = 4 dense = [dp, tp = 2] expert = [edp, ep = 2, etp = 1]
  // expected-error @+1 {{'moe.param' op is placed [edp=R, ep=S(0), etp=R]: moe-partition supports replicated routed experts only (ep = 1); expert parallelism is not supported yet}}
  moe.param @w_gate : tensor<4x8x16xf32> family = routed_expert placement = #spmd.placement<@mesh[expert] {ep = S(0)}>
  func.func @negative_partition_expert_parallel(%x: tensor<2x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {}>}) -> tensor<2x8xf32> {
    return %x : tensor<2x8xf32>
  }
}

// -----

// An explicit state placement must fit the state.
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  // expected-error @+1 {{'moe.state' op placement #spmd.placement<@mesh[dense] {tp = S(0)}> does not fit 'tensor<3xf32>'}}
  moe.state @ema : tensor<3xf32> {spmd.placement = #spmd.placement<@mesh[dense] {tp = S(0)}>}
  func.func @negative_partition_state_placement(%x: tensor<2x8xf32> {spmd.placement = #spmd.placement<@mesh[dense] {}>}) -> tensor<2x8xf32> {
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
