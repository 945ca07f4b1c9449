//===- MoEResources.h - side-effect resources of the moe dialect -*- C++
//-*-===//
//
// Parameters and persistent states are memory the program reads and
// overwrites. Ops that touch them declare a read or a write on one of these
// resources, so that reads are never moved or CSE'd across a write of the
// same kind of buffer.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_MOE_IR_MOERESOURCES_H
#define MOEFOLD_DIALECT_MOE_IR_MOERESOURCES_H

#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace moefold::moe {

/// The storage of every `moe.param` (read by `moe.get_param`, written by
/// `moe.set_param`).
struct ParamResource : public mlir::SideEffects::Resource::Base<ParamResource> {
  llvm::StringRef getName() final { return "moe.param"; }
};

/// The storage of every `moe.state` (read by `moe.get_state`, written by
/// `moe.set_state`).
struct StateResource : public mlir::SideEffects::Resource::Base<StateResource> {
  llvm::StringRef getName() final { return "moe.state"; }
};

} // namespace moefold::moe

#endif // MOEFOLD_DIALECT_MOE_IR_MOERESOURCES_H
