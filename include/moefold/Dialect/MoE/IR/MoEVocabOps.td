//===- MoEVocabOps.td - vocab-parallel cross-entropy -------*- tablegen -*-===//
//
// The per-rank pieces of a cross-entropy whose logits are split over the
// vocabulary (docs/partition.md, "Vocab-parallel cross-entropy"). Only
// moe-partition creates them: each rank holds the logits' columns
// [offset, offset + Vl) of a vocabulary of `vocab_size`; the per-token
// statistics are reduced over the vocabulary group with typed
// spmd.all_reduce ops between the steps.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_MOE_IR_MOEVOCABOPS_TD
#define MOEFOLD_DIALECT_MOE_IR_MOEVOCABOPS_TD

// The vocabulary offset of this rank's shard: one i32 (a slice of the
// offsets of every shard, `spmd.convert R -> V`).
def MoE_VocabOffsetTensor : StaticShapeTensorOf<[I32]>;

def MoE_VocabMaxOp : MoE_Op<"vocab_max", [Pure, InferTypeOpAdaptor]> {
  let summary = "Per-token maximum of a vocabulary shard of logits.";
  let description = [{
    `logits` `[B, S, Vl]` are this rank's vocabulary columns starting at
    `offset` (`tensor<1xi32>`); the result `[B, S]` is their maximum per
    token, to be reduced with `spmd.all_reduce ... reduction = max` over the
    vocabulary group. The offset does not enter the value: it identifies
    the shard (the local type checker reads the op as a reduction over the
    axes the offset varies on).

    ```mlir
    %m = moe.vocab_max %logits, %offset : tensor<2x16x128xf32>, tensor<1xi32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$logits,
                   MoE_VocabOffsetTensor:$offset);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $offset attr-dict `:` type($logits) `,` type($offset)
  }];
  let hasVerifier = 1;
}

def MoE_VocabSumExpOp : MoE_Op<"vocab_sumexp", [Pure, InferTypeOpAdaptor]> {
  let summary = "Per-token sum of exp(logits - max) over a vocabulary shard.";
  let description = [{
    `sum_j exp(logits[b, s, j] - max[b, s])` over this rank's columns, with
    `max` `[B, S]` the maximum over the whole vocabulary (already reduced);
    reduced with `spmd.all_reduce` (sum) over the vocabulary group.

    ```mlir
    %se = moe.vocab_sumexp %logits, %offset, %max : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x16xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$logits,
                   MoE_VocabOffsetTensor:$offset, MoE_FloatTensor:$max);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $offset `,` $max attr-dict `:` type($logits) `,`
    type($offset) `,` type($max)
  }];
  let hasVerifier = 1;
}

def MoE_VocabTargetLogitOp
    : MoE_Op<"vocab_target_logit", [Pure, InferTypeOpAdaptor]> {
  let summary = "Per-token logit of the target, where this shard holds it.";
  let description = [{
    `logits[b, s, targets[b, s] - offset]` when the target falls in this
    rank's columns `[offset, offset + Vl)`, else 0; reduced with
    `spmd.all_reduce` (sum) over the vocabulary group, which leaves the
    target's logit on every rank. `vocab_size` is the whole vocabulary
    (targets are in `[0, vocab_size)`).

    ```mlir
    %tl = moe.vocab_target_logit %logits, %offset, %targets vocab_size = 256 : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x16xi32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$logits,
                   MoE_VocabOffsetTensor:$offset, MoE_TokenTensor:$targets,
                   I64Attr:$vocab_size);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $offset `,` $targets `vocab_size` `=` $vocab_size attr-dict
    `:` type($logits) `,` type($offset) `,` type($targets)
  }];
  let hasVerifier = 1;
}

def MoE_VocabCrossEntropyOp : MoE_Op<"vocab_cross_entropy", [Pure,
    InferTypeOpAdaptor, AllTypesMatch<["max", "sumexp", "target_logit"]>]> {
  let summary = "Cross-entropy from the reduced vocabulary statistics.";
  let description = [{
    `sum_t (log(sumexp[t]) + max[t] - target_logit[t]) / num_tokens` over
    the tokens `[B, S]` of this rank, from the statistics reduced over the
    vocabulary group. `num_tokens` is the global token count (at least
    `B*S`): over a batch split on other axes the result is this rank's share
    of the global mean. A 0-d tensor of the statistics' element type.

    ```mlir
    %loss = moe.vocab_cross_entropy %max, %sumexp, %tl num_tokens = 64 : tensor<2x16xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$max, MoE_FloatTensor:$sumexp,
                   MoE_FloatTensor:$target_logit, I64Attr:$num_tokens);
  let results = (outs MoE_ScalarTensor:$result);
  let assemblyFormat = [{
    $max `,` $sumexp `,` $target_logit `num_tokens` `=` $num_tokens attr-dict
    `:` type($max)
  }];
  let hasVerifier = 1;
}

def MoE_VocabCrossEntropyGradOp : MoE_Op<"vocab_cross_entropy_grad", [Pure,
    AllTypesMatch<["logits", "dlogits"]>, AllTypesMatch<["max", "sumexp"]>]> {
  let summary = "This shard's columns of the cross-entropy gradient.";
  let description = [{
    `dlogits[b, s, j] = dloss / num_tokens * (exp(logits[b, s, j] - max) /
    sumexp - [targets[b, s] == offset + j])` from the reduced `max` and
    `sumexp` `[B, S]`: no communication. `num_tokens` as in
    `moe.vocab_cross_entropy`.

    ```mlir
    %d = moe.vocab_cross_entropy_grad %logits, %offset, %targets, %max, %sumexp, %dloss num_tokens = 64 : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x16xi32>, tensor<2x16xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$logits,
                   MoE_VocabOffsetTensor:$offset, MoE_TokenTensor:$targets,
                   MoE_FloatTensor:$max, MoE_FloatTensor:$sumexp,
                   MoE_ScalarTensor:$dloss, I64Attr:$num_tokens);
  let results = (outs MoE_FloatTensor:$dlogits);
  let assemblyFormat = [{
    $logits `,` $offset `,` $targets `,` $max `,` $sumexp `,` $dloss
    `num_tokens` `=` $num_tokens attr-dict `:` type($logits) `,`
    type($offset) `,` type($targets) `,` type($max) `,` type($dloss)
  }];
  let hasVerifier = 1;
}

#endif // MOEFOLD_DIALECT_MOE_IR_MOEVOCABOPS_TD
