//===- LocalType.h - Local SPMD types R / I / V / P ------------*- C++ -*-===//
//
// After partitioning, every local value has one of four types per mesh axis,
// saying how the value and its gradient are distributed (DESIGN.md §4):
//
//   R replicate  same on all ranks, uses may differ    gradient P
//   I invariant  same on all ranks, uses identical     gradient I
//   V varying    differs per rank (S(d) is V + concat) gradient V
//   P partial    a sum over the axis is pending        gradient R
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_PLACEMENT_LOCALTYPE_H
#define MOEFOLD_PLACEMENT_LOCALTYPE_H

#include "moefold/Placement/Placement.h"

namespace moefold::placement {

enum class LocalType { Replicate, Invariant, Varying, Partial };

/// `R`, `I`, `V` or `P`.
llvm::StringRef stringifyLocalType(LocalType type);

/// The type of the gradient of a value of type `type`: R<->P, I->I, V->V.
/// It is an involution.
LocalType getGradientType(LocalType type);

/// The local type a global placement yields: R->R, S(d)->V, P(...)->P.
/// (I never comes from a placement; the partitioner introduces it.)
LocalType getLocalType(const AxisPlacement &placement);

/// getLocalType for every axis of a tensor placement.
llvm::SmallVector<LocalType, 4> getLocalTypes(const TensorPlacement &placement);

llvm::raw_ostream &operator<<(llvm::raw_ostream &os, LocalType type);

} // namespace moefold::placement

#endif // MOEFOLD_PLACEMENT_LOCALTYPE_H
