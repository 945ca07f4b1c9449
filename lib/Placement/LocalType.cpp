//===- LocalType.cpp - Local SPMD types and their gradients ---------------===//

#include "moefold/Placement/LocalType.h"

#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

using namespace moefold::placement;

llvm::StringRef moefold::placement::stringifyLocalType(LocalType type) {
  switch (type) {
  case LocalType::Replicate:
    return "R";
  case LocalType::Invariant:
    return "I";
  case LocalType::Varying:
    return "V";
  case LocalType::Partial:
    return "P";
  }
  llvm_unreachable("unknown LocalType");
}

LocalType moefold::placement::getGradientType(LocalType type) {
  switch (type) {
  case LocalType::Replicate:
    // Each rank's uses contribute a different gradient; the sum is pending.
    return LocalType::Partial;
  case LocalType::Invariant:
    return LocalType::Invariant;
  case LocalType::Varying:
    return LocalType::Varying;
  case LocalType::Partial:
    // Every rank's summand receives the whole output gradient.
    return LocalType::Replicate;
  }
  llvm_unreachable("unknown LocalType");
}

LocalType moefold::placement::getLocalType(const AxisPlacement &placement) {
  switch (placement.getKind()) {
  case AxisPlacement::Kind::Replicate:
    return LocalType::Replicate;
  case AxisPlacement::Kind::Shard:
    return LocalType::Varying;
  case AxisPlacement::Kind::Partial:
    return LocalType::Partial;
  }
  llvm_unreachable("unknown AxisPlacement kind");
}

llvm::SmallVector<LocalType, 4>
moefold::placement::getLocalTypes(const TensorPlacement &placement) {
  llvm::SmallVector<LocalType, 4> types;
  for (unsigned axis = 0; axis < placement.getNumAxes(); ++axis)
    types.push_back(getLocalType(placement[axis]));
  return types;
}

llvm::raw_ostream &moefold::placement::operator<<(llvm::raw_ostream &os,
                                                  LocalType type) {
  return os << stringifyLocalType(type);
}
