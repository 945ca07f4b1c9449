//===- MoEOpUtils.h - shared diagnostics for moe op verifiers ---*- C++ -*-===//
//
// Private to lib/Dialect/MoE/IR. Every moe diagnostic is emitted through
// OpDiag so messages read "'moe.<op>' op <text>" whether they come from a
// verifier or from result type inference (which has only a location).
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_LIB_DIALECT_MOE_IR_MOEOPUTILS_H
#define MOEFOLD_LIB_DIALECT_MOE_IR_MOEOPUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"

#include <optional>
#include <string>

namespace moefold::moe::detail {

/// Emits diagnostics for one op, from a verifier or from inferReturnTypes.
class OpDiag {
public:
  OpDiag(std::optional<mlir::Location> loc, llvm::StringRef opName)
      : loc(loc), opName(opName) {}
  explicit OpDiag(mlir::Operation *op)
      : loc(op->getLoc()), opName(op->getName().getStringRef()) {}

  /// Emits "'<op>' op <args...>" (when a location is known); returns failure.
  template <typename... Args> mlir::LogicalResult error(Args &&...args) const {
    return mlir::emitOptionalError(loc, "'", opName, "' op ",
                                   std::forward<Args>(args)...);
  }

private:
  std::optional<mlir::Location> loc;
  llvm::StringRef opName;
};

/// "[8, 64, 128]".
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// `type` as a statically shaped ranked tensor, or an error naming `name`.
mlir::FailureOr<mlir::RankedTensorType>
getStaticTensor(const OpDiag &diag, mlir::Type type, llvm::StringRef name);

/// Like getStaticTensor, and the rank must be `rank`; `layout` (e.g.
/// "[B, S, H]") is quoted in the diagnostic.
mlir::FailureOr<mlir::RankedTensorType>
getStaticTensorOfRank(const OpDiag &diag, mlir::Type type, llvm::StringRef name,
                      int64_t rank, llvm::StringRef layout);

/// Like getStaticTensor, and the rank must be at least `minRank`.
mlir::FailureOr<mlir::RankedTensorType>
getStaticTensorOfMinRank(const OpDiag &diag, mlir::Type type,
                         llvm::StringRef name, int64_t minRank,
                         llvm::StringRef layout);

/// Checks that `type` has exactly `expected` shape; `layout` names the dims
/// ("[E, H, F]").
mlir::LogicalResult verifyShape(const OpDiag &diag, mlir::ShapedType type,
                                llvm::StringRef name, llvm::StringRef layout,
                                llvm::ArrayRef<int64_t> expected);

/// Checks that `type`'s element type equals `refType`'s.
mlir::LogicalResult verifySameElementType(const OpDiag &diag,
                                          mlir::ShapedType type,
                                          llvm::StringRef name,
                                          mlir::ShapedType refType,
                                          llvm::StringRef refName);

/// The element type of a loss computed from `input`: f64 for f64 inputs,
/// f32 otherwise.
mlir::Type getLossElementType(mlir::Type inputElementType);

/// Checks `value > 0` for a count attribute named `name`.
mlir::LogicalResult verifyPositive(const OpDiag &diag, int64_t value,
                                   llvm::StringRef name);

} // namespace moefold::moe::detail

#endif // MOEFOLD_LIB_DIALECT_MOE_IR_MOEOPUTILS_H
