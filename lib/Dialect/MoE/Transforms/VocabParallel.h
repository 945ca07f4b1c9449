//===- VocabParallel.h - vocab-parallel cross-entropy -----------*- C++ -*-===//
//
// Private to moe-partition (Partition.cpp): the per-rank form of
// moe.cross_entropy / moe.cross_entropy_grad whose logits are split over the
// vocabulary on one mesh axis (docs/partition.md, "Vocab-parallel
// cross-entropy").
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_LIB_DIALECT_MOE_TRANSFORMS_VOCABPARALLEL_H
#define MOEFOLD_LIB_DIALECT_MOE_TRANSFORMS_VOCABPARALLEL_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"

namespace moefold::moe {

/// Where the vocabulary of a cross-entropy's logits is split.
struct VocabShard {
  mlir::FlatSymbolRefAttr mesh;
  llvm::StringRef view;
  /// The one mesh axis of size > 1 that splits the vocabulary.
  llvm::StringRef axis;
  int64_t numShards = 1;
  /// The whole vocabulary and the global token count (the mean's divisor).
  int64_t vocabSize = 0;
  int64_t numTokens = 0;
};

/// This rank's vocabulary offset and the statistics reduced over the
/// vocabulary axis, per local logits value: the gradient of a loss reuses
/// its forward's.
struct VocabStats {
  mlir::Value offset, max, sumexp;
};
using VocabStatsCache = llvm::DenseMap<mlir::Value, VocabStats>;

/// Emits, at `b`'s insertion point, the vocab-parallel form of `op`
/// (moe.cross_entropy or moe.cross_entropy_grad) on its local operands
/// (logits [B, S, V/n], targets [, dloss]) and returns its local result:
/// the loss (this rank's share of the global mean over the other axes,
/// whole over the vocabulary axis) or this rank's columns of dlogits.
mlir::Value emitVocabParallelCrossEntropy(mlir::OpBuilder &b,
                                          mlir::Operation *op,
                                          const VocabShard &shard,
                                          mlir::ValueRange localOperands,
                                          VocabStatsCache &cache);

} // namespace moefold::moe

#endif // MOEFOLD_LIB_DIALECT_MOE_TRANSFORMS_VOCABPARALLEL_H
