//===- Placement.h - Global placements of a tensor on a view ---*- C++ -*-===//
//
// What the user annotates: per axis of a view, a global tensor is replicated
// (R), sharded on one tensor dim (S(d)), or a pending reduction
// (P(sum|avg|max)). When several axes shard the same tensor dim, the axis
// listed earlier in the view is the outer (slower) one: rank coordinates
// (c_outer, c_inner) own block c_outer * n_inner + c_inner of that dim.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_PLACEMENT_PLACEMENT_H
#define MOEFOLD_PLACEMENT_PLACEMENT_H

#include "moefold/Placement/View.h"

#include "llvm/Support/Error.h"

namespace moefold::placement {

/// How a pending reduction combines the ranks of an axis.
enum class ReduceKind { Sum, Avg, Max };

llvm::StringRef stringifyReduceKind(ReduceKind kind);

/// The placement of a global tensor on one view axis.
class AxisPlacement {
public:
  enum class Kind { Replicate, Shard, Partial };

  static AxisPlacement replicate() { return AxisPlacement(Kind::Replicate); }
  static AxisPlacement shard(int64_t dim) {
    AxisPlacement p(Kind::Shard);
    p.dim = dim;
    return p;
  }
  static AxisPlacement partial(ReduceKind reduce = ReduceKind::Sum) {
    AxisPlacement p(Kind::Partial);
    p.reduce = reduce;
    return p;
  }

  Kind getKind() const { return kind; }
  bool isReplicate() const { return kind == Kind::Replicate; }
  bool isShard() const { return kind == Kind::Shard; }
  bool isPartial() const { return kind == Kind::Partial; }
  bool isShardOf(int64_t d) const { return isShard() && dim == d; }
  /// The sharded tensor dim; only for S(d).
  int64_t getShardDim() const;
  /// The pending reduction; only for P(...).
  ReduceKind getReduceKind() const;

  bool operator==(const AxisPlacement &other) const;
  bool operator!=(const AxisPlacement &other) const {
    return !(*this == other);
  }

  /// Prints `R`, `S(1)`, `P(sum)`.
  void print(llvm::raw_ostream &os) const;

private:
  explicit AxisPlacement(Kind kind) : kind(kind) {}

  Kind kind;
  int64_t dim = -1;
  ReduceKind reduce = ReduceKind::Sum;
};

/// Parses the printed form (`R`, `S(1)`, `P(sum)`, `P(avg)`, `P(max)`;
/// `P` alone means P(sum)).
llvm::Expected<AxisPlacement> parseAxisPlacement(llvm::StringRef text);

/// One AxisPlacement per axis of a view, in the view's axis order.
class TensorPlacement {
public:
  TensorPlacement() = default;
  /// Replicated on every axis of `view`.
  explicit TensorPlacement(const View &view);
  /// Replicated except on the named axes; errors name an unknown or
  /// repeated axis.
  static llvm::Expected<TensorPlacement>
  get(const View &view,
      llvm::ArrayRef<std::pair<llvm::StringRef, AxisPlacement>> named);
  /// Parses `[dp=S(0), tp=R]` (axes not listed are R).
  static llvm::Expected<TensorPlacement> parse(const View &view,
                                               llvm::StringRef text);

  llvm::StringRef getViewName() const { return viewName; }
  unsigned getNumAxes() const { return placements.size(); }
  llvm::StringRef getAxisName(unsigned axis) const { return axisNames[axis]; }
  const AxisPlacement &operator[](unsigned axis) const {
    return placements[axis];
  }
  void set(unsigned axis, AxisPlacement placement) {
    placements[axis] = placement;
  }

  /// Axes that shard tensor dim `dim`, outer first (view order).
  llvm::SmallVector<unsigned, 4> getShardAxes(int64_t dim) const;
  /// Whether this placement was made for `view` (same name and axes).
  bool isFor(const View &view) const;

  bool operator==(const TensorPlacement &other) const;
  bool operator!=(const TensorPlacement &other) const {
    return !(*this == other);
  }

  /// Prints `[dp=S(0), tp=R]`.
  void print(llvm::raw_ostream &os) const;

private:
  std::string viewName;
  llvm::SmallVector<std::string, 4> axisNames;
  llvm::SmallVector<AxisPlacement, 4> placements;
};

/// The index range one rank owns in one tensor dim.
struct DimSlice {
  int64_t offset = 0;
  int64_t size = 0;
  bool operator==(const DimSlice &other) const {
    return offset == other.offset && size == other.size;
  }
};

/// Checks that `placement` fits `view` and a tensor of `globalShape`: every
/// S(d) names an existing dim, every sharded dim divides evenly (the
/// message names the dim, its size, the axis and the axis size), and P(max)
/// is not mixed with P(sum|avg) on another axis.
llvm::Error verifyPlacement(const View &view,
                            llvm::ArrayRef<int64_t> globalShape,
                            const TensorPlacement &placement);

/// The shape each rank holds. P axes do not change the shape.
llvm::Expected<llvm::SmallVector<int64_t, 4>>
getLocalShape(const View &view, llvm::ArrayRef<int64_t> globalShape,
              const TensorPlacement &placement);

/// The global index range of every dim that `rank` holds.
llvm::Expected<llvm::SmallVector<DimSlice, 4>>
getLocalSlice(const View &view, llvm::ArrayRef<int64_t> globalShape,
              const TensorPlacement &placement, int64_t rank);

llvm::raw_ostream &operator<<(llvm::raw_ostream &os, const AxisPlacement &p);
llvm::raw_ostream &operator<<(llvm::raw_ostream &os, const TensorPlacement &p);

} // namespace moefold::placement

#endif // MOEFOLD_PLACEMENT_PLACEMENT_H
