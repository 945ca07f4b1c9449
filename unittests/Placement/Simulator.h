//===- Simulator.h - Runs redistribution steps on per-rank data -*- C++ -*-===//
//
// A reference interpreter for redistribution steps over plain per-rank
// buffers, written directly from the collective definitions and the groups
// of a View. Running a plan on the shards of a known global tensor and
// comparing with the target's shards catches group-order and offset bugs
// that type-level tests cannot see.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_UNITTESTS_PLACEMENT_SIMULATOR_H
#define MOEFOLD_UNITTESTS_PLACEMENT_SIMULATOR_H

#include "moefold/Placement/Redistribution.h"

#include <random>
#include <vector>

namespace moefold::placement::test {

/// A dense row-major tensor.
struct Tensor {
  llvm::SmallVector<int64_t, 4> shape;
  std::vector<double> data;

  static Tensor zeros(llvm::ArrayRef<int64_t> shape);
  static Tensor random(llvm::ArrayRef<int64_t> shape, std::mt19937 &rng);
  int64_t numElements() const { return data.size(); }
};

/// One tensor per rank of a view.
using Shards = std::vector<Tensor>;

/// The block of `t` at `offsets` with `sizes`.
Tensor extractBlock(const Tensor &t, llvm::ArrayRef<int64_t> offsets,
                    llvm::ArrayRef<int64_t> sizes);
/// Writes `block` into `t` at `offsets`.
void insertBlock(Tensor &t, const Tensor &block,
                 llvm::ArrayRef<int64_t> offsets);
/// The `index`-th of `parts` equal pieces of `t` along `dim`.
Tensor splitPiece(const Tensor &t, int64_t dim, int64_t parts, int64_t index);
/// Concatenation along `dim`.
Tensor concat(llvm::ArrayRef<Tensor> pieces, int64_t dim);

/// Shards of `global` under `placement`. Pending reductions get random
/// summands (or random values below the maximum) that reduce to the right
/// slice, so a reduction over the wrong group gives a wrong answer.
Shards distribute(const View &view, const Tensor &global,
                  const TensorPlacement &placement, std::mt19937 &rng);

/// Largest difference between what `shards` mean under `placement`
/// (pending reductions carried out over their groups) and the slice of
/// `global` each rank should hold.
double shardError(const View &view, const Tensor &global,
                  const TensorPlacement &placement, const Shards &shards);

/// Runs one step (forward or transpose) on every rank.
Shards applyStep(const View &view, const RedistStep &step, const Shards &in);
/// Runs steps in order.
Shards applySteps(const View &view, llvm::ArrayRef<RedistStep> steps,
                  Shards shards);
std::vector<RedistStep> forwardSteps(const RedistributionPlan &plan);

/// Sum over ranks of the elementwise product.
double dot(const Shards &a, const Shards &b);

} // namespace moefold::placement::test

#endif // MOEFOLD_UNITTESTS_PLACEMENT_SIMULATOR_H
