//===- Simulator.cpp - Reference interpreter for redistribution steps -----===//

#include "Simulator.h"

#include "TestUtil.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace moefold::placement;
using namespace moefold::placement::test;

Tensor Tensor::zeros(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return Tensor{llvm::SmallVector<int64_t, 4>(shape), std::vector<double>(n)};
}

Tensor Tensor::random(llvm::ArrayRef<int64_t> shape, std::mt19937 &rng) {
  Tensor t = zeros(shape);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  for (double &x : t.data)
    x = dist(rng);
  return t;
}

/// Calls `fn(blockIndex, tensorIndex)` for every element of the block.
template <typename Fn>
static void forEachInBlock(llvm::ArrayRef<int64_t> shape,
                           llvm::ArrayRef<int64_t> offsets,
                           llvm::ArrayRef<int64_t> sizes, Fn fn) {
  int64_t rank = shape.size();
  int64_t count = 1;
  for (int64_t s : sizes)
    count *= s;
  llvm::SmallVector<int64_t, 4> idx(rank, 0);
  for (int64_t blockIndex = 0; blockIndex < count; ++blockIndex) {
    int64_t flat = 0;
    for (int64_t d = 0; d < rank; ++d)
      flat = flat * shape[d] + offsets[d] + idx[d];
    fn(blockIndex, flat);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < sizes[d])
        break;
      idx[d] = 0;
    }
  }
}

Tensor test::extractBlock(const Tensor &t, llvm::ArrayRef<int64_t> offsets,
                          llvm::ArrayRef<int64_t> sizes) {
  Tensor block = Tensor::zeros(sizes);
  forEachInBlock(t.shape, offsets, sizes,
                 [&](int64_t b, int64_t i) { block.data[b] = t.data[i]; });
  return block;
}

void test::insertBlock(Tensor &t, const Tensor &block,
                       llvm::ArrayRef<int64_t> offsets) {
  forEachInBlock(t.shape, offsets, block.shape,
                 [&](int64_t b, int64_t i) { t.data[i] = block.data[b]; });
}

Tensor test::splitPiece(const Tensor &t, int64_t dim, int64_t parts,
                        int64_t index) {
  assert(t.shape[dim] % parts == 0 && "uneven split");
  llvm::SmallVector<int64_t, 4> offsets(t.shape.size(), 0);
  llvm::SmallVector<int64_t, 4> sizes(t.shape);
  sizes[dim] /= parts;
  offsets[dim] = index * sizes[dim];
  return extractBlock(t, offsets, sizes);
}

Tensor test::concat(llvm::ArrayRef<Tensor> pieces, int64_t dim) {
  llvm::SmallVector<int64_t, 4> shape(pieces.front().shape);
  shape[dim] *= pieces.size();
  Tensor out = Tensor::zeros(shape);
  llvm::SmallVector<int64_t, 4> offsets(shape.size(), 0);
  for (const Tensor &piece : pieces) {
    insertBlock(out, piece, offsets);
    offsets[dim] += piece.shape[dim];
  }
  return out;
}

static llvm::SmallVector<unsigned, 4>
partialAxes(const TensorPlacement &placement) {
  llvm::SmallVector<unsigned, 4> axes;
  for (unsigned axis = 0; axis < placement.getNumAxes(); ++axis)
    if (placement[axis].isPartial())
      axes.push_back(axis);
  return axes;
}

static bool isMax(const TensorPlacement &placement,
                  llvm::ArrayRef<unsigned> pAxes) {
  return !pAxes.empty() &&
         placement[pAxes.front()].getReduceKind() == ReduceKind::Max;
}

/// The factor by which the summands of a linear pending reduction must be
/// scaled to give the value: 1 / size for each P(avg) axis.
static double averageScale(const View &view, const TensorPlacement &placement,
                           llvm::ArrayRef<unsigned> pAxes) {
  double scale = 1.0;
  for (unsigned axis : pAxes)
    if (placement[axis].getReduceKind() == ReduceKind::Avg)
      scale /= view.getAxisSize(axis);
  return scale;
}

static Tensor sliceFor(const View &view, const Tensor &global,
                       const TensorPlacement &placement, int64_t rank) {
  auto slices = getOrDie(getLocalSlice(view, global.shape, placement, rank));
  llvm::SmallVector<int64_t, 4> offsets, sizes;
  for (const DimSlice &s : slices) {
    offsets.push_back(s.offset);
    sizes.push_back(s.size);
  }
  return extractBlock(global, offsets, sizes);
}

Shards test::distribute(const View &view, const Tensor &global,
                        const TensorPlacement &placement, std::mt19937 &rng) {
  int64_t n = view.getNumRanks();
  Shards shards(n);
  auto pAxes = partialAxes(placement);
  std::uniform_real_distribution<double> below(0.1, 1.0);
  for (int64_t rank = 0; rank < n; ++rank) {
    Tensor slice = sliceFor(view, global, placement, rank);
    if (pAxes.empty()) {
      shards[rank] = slice;
      continue;
    }
    RankGroup group = view.getGroupOf(pAxes, rank);
    if (rank != group.front()) {
      // Filled in below, once the group's first rank is reached.
      continue;
    }
    if (isMax(placement, pAxes)) {
      for (int64_t member : group) {
        Tensor t = slice;
        if (member != group.front())
          for (double &x : t.data)
            x -= below(rng);
        shards[member] = t;
      }
      continue;
    }
    // Random summands; the first member makes up the difference.
    Tensor first = slice;
    double scale = averageScale(view, placement, pAxes);
    for (double &x : first.data)
      x /= scale;
    for (int64_t member : llvm::drop_begin(group)) {
      shards[member] = Tensor::random(slice.shape, rng);
      for (auto [f, x] : llvm::zip_equal(first.data, shards[member].data))
        f -= x;
    }
    shards[group.front()] = first;
  }
  return shards;
}

double test::shardError(const View &view, const Tensor &global,
                        const TensorPlacement &placement,
                        const Shards &shards) {
  auto pAxes = partialAxes(placement);
  bool max = isMax(placement, pAxes);
  double scale = averageScale(view, placement, pAxes);
  double error = 0;
  for (int64_t rank = 0; rank < view.getNumRanks(); ++rank) {
    Tensor expected = sliceFor(view, global, placement, rank);
    if (shards[rank].shape != expected.shape)
      return INFINITY;
    Tensor value = shards[rank];
    if (!pAxes.empty()) {
      RankGroup group = view.getGroupOf(pAxes, rank);
      value = shards[group.front()];
      for (int64_t member : llvm::drop_begin(group))
        for (auto [v, x] : llvm::zip_equal(value.data, shards[member].data))
          v = max ? std::max(v, x) : v + x;
      if (!max)
        for (double &v : value.data)
          v *= scale;
    }
    for (auto [v, e] : llvm::zip_equal(value.data, expected.data))
      error = std::max(error, std::abs(v - e));
  }
  return error;
}

/// Elementwise combination of the shards of `group`.
static Tensor reduceGroup(const Shards &in, const RankGroup &group,
                          ReduceKind reduce) {
  Tensor out = in[group.front()];
  for (int64_t member : llvm::drop_begin(group))
    for (auto [o, x] : llvm::zip_equal(out.data, in[member].data))
      o = reduce == ReduceKind::Max ? std::max(o, x) : o + x;
  return out;
}

Shards test::applyStep(const View &view, const RedistStep &step,
                       const Shards &in) {
  assert(!step.maskedByArgmax && "the argmax mask is not simulated");
  int64_t n = step.axisSize;
  Shards out(in.size());
  for (int64_t rank = 0; rank < view.getNumRanks(); ++rank) {
    RankGroup group = view.getGroupOf({step.axis}, rank);
    int64_t index = view.getCoord(rank, step.axis);
    switch (step.kind) {
    case CollectiveKind::LocalSlice:
      out[rank] = splitPiece(in[rank], step.dstDim, n, index);
      break;
    case CollectiveKind::ZeroPad: {
      llvm::SmallVector<int64_t, 4> shape(in[rank].shape);
      shape[step.srcDim] *= n;
      out[rank] = Tensor::zeros(shape);
      llvm::SmallVector<int64_t, 4> offsets(shape.size(), 0);
      offsets[step.srcDim] = index * in[rank].shape[step.srcDim];
      insertBlock(out[rank], in[rank], offsets);
      break;
    }
    case CollectiveKind::AllGather: {
      std::vector<Tensor> pieces;
      for (int64_t member : group)
        pieces.push_back(in[member]);
      out[rank] = concat(pieces, step.srcDim);
      break;
    }
    case CollectiveKind::AllReduce:
      out[rank] = reduceGroup(in, group, step.reduce);
      break;
    case CollectiveKind::ReduceScatter:
      out[rank] = splitPiece(reduceGroup(in, group, step.reduce), step.dstDim,
                             n, index);
      break;
    case CollectiveKind::AllToAll: {
      // Member k sends us its index-th piece of dstDim; we stack them on
      // srcDim in member order.
      std::vector<Tensor> pieces;
      for (int64_t member : group)
        pieces.push_back(splitPiece(in[member], step.dstDim, n, index));
      out[rank] = concat(pieces, step.srcDim);
      break;
    }
    }
    for (double &x : out[rank].data)
      x *= step.getScale();
    EXPECT_EQ(out[rank].shape, step.dstLocalShape)
        << printToString(step) << " on rank " << rank;
  }
  return out;
}

Shards test::applySteps(const View &view, llvm::ArrayRef<RedistStep> steps,
                        Shards shards) {
  for (const RedistStep &step : steps)
    shards = applyStep(view, step, shards);
  return shards;
}

std::vector<RedistStep> test::forwardSteps(const RedistributionPlan &plan) {
  std::vector<RedistStep> steps;
  for (const PlanStep &step : plan.steps)
    steps.push_back(step.forward);
  return steps;
}

double test::dot(const Shards &a, const Shards &b) {
  double sum = 0;
  for (auto [x, y] : llvm::zip_equal(a, b))
    for (auto [u, v] : llvm::zip_equal(x.data, y.data))
      sum += u * v;
  return sum;
}
