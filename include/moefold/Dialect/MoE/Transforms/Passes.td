//===- Passes.td - moe passes -------------------------------*- tablegen -*-===//

#ifndef MOEFOLD_DIALECT_MOE_TRANSFORMS_PASSES_TD
#define MOEFOLD_DIALECT_MOE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def MoEPrintParamTablePass
    : Pass<"moe-print-param-table", "::mlir::ModuleOp"> {
  let summary = "Prints every parameter's family, placement and per-rank shape.";
  let description = [{
    For each `moe.param` in the module, prints its name, family, view,
    global shape, placement and the local shape every rank holds under that
    placement (computed by the placement algebra from the parameter's mesh).
    A placement the mesh cannot realise (for instance a dimension that the
    axis size does not divide) is reported as an error at the parameter.
    The IR is left unchanged.

    ```mlir
    moe.param @wq : tensor<64x64xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}>
    ```

    prints `wq  dense  dense  64x64  [dp=R, tp=S(1)]  64x32`.
  }];
  let dependentDialects = ["::moefold::spmd::SPMDDialect"];
}

def MoEAutodiffPass : Pass<"moe-autodiff", "::mlir::ModuleOp"> {
  let summary = "Adds, for every loss function, a function returning the loss and every parameter's gradient.";
  let description = [{
    Reverse-mode automatic differentiation at global semantics. For every
    `func.func` with a result marked `{moe.loss}` (functions that already
    return `{moe.grad_of}` results are skipped), creates `@<name>_grad`
    with the same arguments, returning the loss `{moe.loss}` followed by one
    gradient per `moe.param` of the module, in declaration order, each
    marked `{moe.grad_of = @param}`.

    The body is a copy of the forward body followed by its reverse: the
    loss gradient is seeded with `moe.fill 1.0`; ops are visited in reverse
    and every op a gradient reached builds its gradient ops through
    `VJPOpInterface`; gradients of values used more than once are summed
    with `moe.add`; `moe.get_param` collects the gradient of its parameter;
    a parameter no gradient reaches gets `moe.fill 0.0`. Ops with no
    float-tensor operands (constants, reads of parameters and states)
    absorb the gradient.

    Errors: a module without a loss function; a body with more than one
    block or a region op a gradient reaches (control flow); an op a gradient
    reaches that has float-tensor operands but no VJP rule.

    ```mlir
    func.func @f(%t: tensor<2x16xi32>) -> (tensor<f32> {moe.loss})
    // becomes, next to it:
    func.func @f_grad(%t: tensor<2x16xi32>)
        -> (tensor<f32> {moe.loss}, tensor<256x64xf32> {moe.grad_of = @embed}, ...)
    ```
  }];
  let dependentDialects = ["::moefold::moe::MoEDialect"];
}

def MoEBuildTrainStepPass
    : Pass<"moe-build-train-step", "::mlir::ModuleOp"> {
  let summary = "Builds @moefold_train_step: gradients, global norm, clipping and the optimizer update.";
  let description = [{
    Builds the training step of docs/design/training-step.md §1 from a
    gradient function made by `moe-autodiff` (`loss-fn`, or the only one):

    ```mlir
    func.func @moefold_train_step(<the gradient function's arguments>,
                                  %lr: tensor<f32>, %step: tensor<f32>)
        -> (tensor<f32>, tensor<f32>, tensor<i1>)   // loss, grad_norm, applied
    ```

    It declares `moe.state @grad.<param>` for every parameter (gradient
    buffers, for `--dump-grads`) and, for AdamW, `@adam_m.<param>` and
    `@adam_v.<param>`; inlines the gradient function's body (no call);
    stores every gradient with `moe.set_state @grad.<param>`; computes
    `moe.global_norm` of all gradients and `moe.clip_scale`; then updates
    every parameter with `moe.sgd_step` or `moe.adamw_step`, writing the
    results with `moe.set_param` / `moe.set_state`. `applied` is false (and
    nothing changes) when the gradient norm is not finite. `%step` counts
    from 1.

    Weight decay is decoupled and applies to every parameter; its default
    depends on the optimizer: 0.1 for `adamw`, 0.0 for `sgd`. Errors: an
    unknown optimizer, `beta1`/`beta2` outside [0, 1), a non-positive
    `epsilon`, a negative `weight-decay`, a non-finite `max-grad-norm`; no
    (or, without `loss-fn`, several) gradient functions; a gradient function
    that does not return one gradient per parameter in declaration order;
    an existing `@moefold_train_step` or state of the same name.
  }];
  let options = [
    Option<"optimizer", "optimizer", "std::string", "\"adamw\"",
           "The update rule: adamw or sgd.">,
    Option<"maxGradNorm", "max-grad-norm", "double", "1.0",
           "Clip the global gradient norm to this value (<= 0: no clipping).">,
    Option<"weightDecay", "weight-decay", "double",
           "std::numeric_limits<double>::quiet_NaN()",
           "Decoupled weight decay (default: 0.1 for adamw, 0.0 for sgd).">,
    Option<"beta1", "beta1", "double", "0.9",
           "AdamW first-moment decay, in [0, 1).">,
    Option<"beta2", "beta2", "double", "0.95",
           "AdamW second-moment decay, in [0, 1).">,
    Option<"epsilon", "epsilon", "double", "1.0e-8",
           "AdamW denominator epsilon (positive).">,
    Option<"lossFn", "loss-fn", "std::string", "\"\"",
           "The gradient function to train with (default: the only one).">
  ];
  let dependentDialects = ["::moefold::moe::MoEDialect"];
}

def MoEPropagatePlacementsPass
    : Pass<"moe-propagate-placements", "::mlir::ModuleOp"> {
  let summary = "Gives every value of a training step a global placement (R, S(d) or P) per mesh axis.";
  let description = [{
    Propagates global placements through every function that contains moe
    ops (the training step `@moefold_train_step`, loss functions and their
    `_grad` functions), forward in program order, using the factor-based
    sharding rules of `moefold/Dialect/MoE/Analysis/ShardingRules.h`
    (docs/propagation.md, docs/design/partitioning.md).

    Seeds: an argument annotated with `spmd.placement` keeps it; every other
    ranked tensor argument of rank >= 1 is the batch, `S(0)` over
    `batch-axis` on the dense view; 0-d arguments are `R`. Parameters and
    states take their declaration's placement (a state `@<prefix>.<param>`
    follows its parameter). Each op's results follow from its operands'
    factor shardings: a sharded parallel factor keeps the result sharded,
    a sharded factor the result does not carry makes it `P(sum)`,
    replicated-only dims force `R`; when operands disagree the first sharded
    operand wins. Axes of size 1 are always `R`.

    Writes `spmd.placement` on every tensor argument and
    `spmd.placements = [...]` (one per result) on every op with results,
    each listing every axis of its view:

    ```mlir
    func.func @f(%x: tensor<8x64xf32> {spmd.placement = #spmd.placement<@mesh[dense] {dp = S(0), tp = R}>}) ...
      %y = moe.linear %x, %w {spmd.placements = [#spmd.placement<@mesh[dense] {dp = S(0), tp = S(1)}>]} : ...
    ```

    Errors: no (or, without `mesh`, several) meshes; an unknown batch axis;
    an op without a sharding rule; a sharding an op cannot take (a head
    count or a dimension the axes do not divide); a declared placement that
    loses its sharding to an incompatible one (a conflict, with notes at
    both ends); control flow.
  }];
  let options = [
    Option<"meshName", "mesh", "std::string", "\"\"",
           "The spmd.mesh to propagate on (default: the only one).">,
    Option<"batchAxis", "batch-axis", "std::string", "\"dp\"",
           "The dense-view axis that shards the batch of the arguments.">,
    Option<"printDecisions", "print-decisions", "bool", "false",
           "Print every op's sharding rule and the placements its operands "
           "are needed in, re-decided from the written attributes as "
           "moe-partition sees them.">
  ];
  let dependentDialects = ["::moefold::spmd::SPMDDialect"];
}

def MoEPartitionPass : Pass<"moe-partition", "::mlir::ModuleOp"> {
  let summary = "Rewrites every function carrying placements into the per-rank program with explicit spmd collectives.";
  let description = [{
    Input: a global-semantics program annotated by
    `moe-propagate-placements` (docs/design/partitioning.md §3): function
    arguments with `spmd.placement`, op results with `spmd.placements`,
    parameters with their declared placement (states follow their
    parameter's).

    Output: the program one rank runs. Every tensor has its local shape;
    `moe.param` / `moe.state` declarations get local types and keep the
    global one in `global_type`. Each op is decided with the sharding rules
    shared with propagation (`decideSharding`, from the placements its
    operands actually have); an operand whose placement differs from the
    one the op needs is redistributed with the collectives of the placement
    algebra's plan: `P -> R` `spmd.all_reduce`, `S -> R` `spmd.all_gather`,
    `R -> S` `spmd.convert R -> V`, `P -> S` `spmd.reduce_scatter`.
    Results whose reduction factor is sharded stay `P` until a consumer
    needs them whole, and are reduced once (lazy reduction). Gradients
    reaching the optimizer take their parameter's placement (the DP
    gradient all-reduce); `moe.global_norm` sums squares over exactly the
    axes that split each gradient; a cross-entropy over a split batch is
    divided by the global token count and stays `P`.

    Scope: data and tensor parallelism on the dense view, replicated
    experts (ep = 1). See docs/partition.md.

    ```mlir
    // before (tp = 2): a row-parallel projection
    %y = moe.linear %x, %w {spmd.placements = [#spmd.placement<@mesh[dense] {tp = P(sum)}>]}
        : tensor<4x8xf32>, tensor<8x8xf32>
    // after: x [4, 4] and w [4, 8] are this rank's shards
    %y = moe.linear %x, %w : tensor<4x4xf32>, tensor<4x8xf32>
    %r = spmd.all_reduce %y over @mesh[dense] [tp] (V -> R) : tensor<4x8xf32>
    ```
  }];
  let dependentDialects = [
    "::moefold::moe::MoEDialect",
    "::moefold::spmd::SPMDDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect"
  ];
}

def MoEGradReducePass : Pass<"moe-grad-reduce", "::mlir::ModuleOp"> {
  let summary = "Buckets the gradient reductions of a per-rank step per family.";
  let description = [{
    Runs on the per-rank program `moe-partition` produced. There, every
    parameter's gradient reaching the optimizer was reduced by one
    `spmd.all_reduce` over exactly the axes where its local type is a
    pending sum (DESIGN §6: a SUM over P axes, nothing over I/V axes, never
    an AVERAGE or a tp cancel factor — the partitioner derives it from the
    types). This pass groups those reductions by parameter family (dense,
    norm, embedding, router, routed_expert, shared_expert) and by collective
    (mesh view, axes, local types, reduction, element type) and replaces each
    group by one bucket: `moe.pack`, one `spmd.all_reduce`, `moe.unpack`.
    The bucket is placed before the first use of any of its gradients; a
    gradient computed after that point keeps its own reduction. The
    reductions and their values are unchanged, only the number of
    collectives drops (one per bucket).

    ```mlir
    %a = spmd.all_reduce %dw0 over @mesh[dense] [dp] (V -> R) : tensor<64x32xf32>
    %b = spmd.all_reduce %dw1 over @mesh[dense] [dp] (V -> R) : tensor<32x64xf32>
    ```

    becomes, when both are gradients of dense parameters,

    ```mlir
    %p = moe.pack %dw0, %dw1 : tensor<64x32xf32>, tensor<32x64xf32> -> tensor<4096xf32>
    %r = spmd.all_reduce %p over @mesh[dense] [dp] (V -> R) : tensor<4096xf32>
    %a, %b = moe.unpack %r : tensor<4096xf32> -> tensor<64x32xf32>, tensor<32x64xf32>
    ```
  }];
  let options = [
    Option<"maxBucketBytes", "max-bucket-bytes", "int64_t", "0",
           "Start a new bucket of the same family when the next gradient "
           "would make it larger than this many bytes (0: no limit).">,
  ];
}

#endif // MOEFOLD_DIALECT_MOE_TRANSFORMS_PASSES_TD
