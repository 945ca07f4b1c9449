//===- VocabParallel.cpp - vocab-parallel cross-entropy -------------------===//
//
// Megatron's vocab-parallel cross-entropy as moe-partition emits it: no rank
// ever holds a whole row of logits. Per token, three statistics cross the
// vocabulary group (one float each):
//
//   offset = spmd.convert R -> V of the shards' offsets  (no communication)
//   max    = all_reduce MAX of moe.vocab_max
//   sumexp = all_reduce SUM of moe.vocab_sumexp (exp(l - max), this shard)
//   target = all_reduce SUM of moe.vocab_target_logit (0 off this shard)
//   loss   = moe.vocab_cross_entropy: sum(log sumexp + max - target) / N
//   dlogits = moe.vocab_cross_entropy_grad from offset, max, sumexp
//
// The offset is this rank's block of a constant table, sliced with the same
// spmd.convert R -> V (and group table) that slices any replicated tensor
// over the axis, so it agrees with the block of the logits the rank holds.
//
//===----------------------------------------------------------------------===//

#include "VocabParallel.h"

#include "moefold/Dialect/MoE/IR/MoEOps.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace moefold;
using namespace moefold::moe;

namespace {

using K = spmd::LocalTypeKind;

/// Reduces a per-token statistic over the vocabulary axis. The local
/// statistic is this rank's share (typed V, as a pending reduction).
Value reduce(OpBuilder &b, Location loc, const VocabShard &shard, Value local,
             spmd::ReductionKind kind) {
  return spmd::AllReduceOp::create(b, loc, local, shard.mesh, shard.view,
                                   {shard.axis}, K::Varying, K::Replicate,
                                   kind);
}

/// This rank's offset into the vocabulary: block `rank` of the constant
/// [0, Vl, 2 Vl, ...] over the axis (tensor<1xi32>).
Value emitOffset(OpBuilder &b, Location loc, const VocabShard &shard,
                 int64_t shardSize) {
  SmallVector<int32_t> offsets;
  for (int64_t k = 0; k < shard.numShards; ++k)
    offsets.push_back(static_cast<int32_t>(k * shardSize));
  auto tableType = RankedTensorType::get({shard.numShards}, b.getI32Type());
  Value table = arith::ConstantOp::create(
      b, loc, tableType,
      DenseElementsAttr::get(tableType, ArrayRef<int32_t>(offsets)));
  auto localType = RankedTensorType::get({1}, b.getI32Type());
  return spmd::ConvertOp::create(b, loc, localType, table, shard.mesh,
                                 shard.view, {shard.axis}, K::Replicate,
                                 K::Varying, /*dim=*/0);
}

/// The offset, max and sumexp of `logits`: the cached ones, else computed.
VocabStats getStats(OpBuilder &b, Location loc, const VocabShard &shard,
                    Value logits, VocabStatsCache &cache) {
  auto it = cache.find(logits);
  if (it != cache.end())
    return it->second;
  int64_t shardSize = cast<RankedTensorType>(logits.getType()).getShape()[2];
  VocabStats stats;
  stats.offset = emitOffset(b, loc, shard, shardSize);
  Value max = VocabMaxOp::create(b, loc, logits, stats.offset);
  stats.max = reduce(b, loc, shard, max, spmd::ReductionKind::Max);
  Value sumexp = VocabSumExpOp::create(b, loc, logits, stats.offset, stats.max);
  stats.sumexp = reduce(b, loc, shard, sumexp, spmd::ReductionKind::Sum);
  cache[logits] = stats;
  return stats;
}

} // namespace

Value moefold::moe::emitVocabParallelCrossEntropy(OpBuilder &b, Operation *op,
                                                  const VocabShard &shard,
                                                  ValueRange localOperands,
                                                  VocabStatsCache &cache) {
  Location loc = op->getLoc();
  Value logits = localOperands[0], targets = localOperands[1];
  VocabStats stats = getStats(b, loc, shard, logits, cache);
  if (isa<CrossEntropyGradOp>(op))
    return VocabCrossEntropyGradOp::create(
        b, loc, logits.getType(), logits, stats.offset, targets, stats.max,
        stats.sumexp, localOperands[2], shard.numTokens);
  Value target = VocabTargetLogitOp::create(b, loc, logits, stats.offset,
                                            targets, shard.vocabSize);
  target = reduce(b, loc, shard, target, spmd::ReductionKind::Sum);
  return VocabCrossEntropyOp::create(b, loc, stats.max, stats.sumexp, target,
                                     shard.numTokens);
}
