//===- ShapeRules.h - shape rules shared by forward and gradient ops -*- C++
//-*-===//
//
// Private to lib/Dialect/MoE/IR. Each rule checks the operand types and
// attributes of one forward op (every check of its result type inference
// and of its verifier) and returns the forward result type(s). The forward
// op's verifier and its gradient op's verifier both call it, so a gradient
// op accepts exactly the operands its forward op accepts, with the same
// diagnostics.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_LIB_DIALECT_MOE_IR_SHAPERULES_H
#define MOEFOLD_LIB_DIALECT_MOE_IR_SHAPERULES_H

#include "MoEOpUtils.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace moefold::moe::detail {

mlir::FailureOr<mlir::RankedTensorType> checkRMSNorm(const OpDiag &diag,
                                                     mlir::Type x,
                                                     mlir::Type weight,
                                                     double epsilon);

mlir::FailureOr<mlir::RankedTensorType>
checkLinear(const OpDiag &diag, mlir::Type x, mlir::Type weight);

/// The value of an optional `rope_theta` attribute.
inline std::optional<double> ropeThetaOf(mlir::FloatAttr attr) {
  if (!attr)
    return std::nullopt;
  return attr.getValueAsDouble();
}

/// `ropeTheta` is the optional rotary base (positive, finite; even head
/// dimension).
mlir::FailureOr<mlir::RankedTensorType>
checkAttention(const OpDiag &diag, mlir::Type q, mlir::Type k, mlir::Type v,
               int64_t numHeads, int64_t numKVHeads,
               std::optional<double> ropeTheta = std::nullopt);

/// The optional per-head q/k RMSNorm of moe.attention: `norms` is empty
/// (then `epsilon` must be absent) or the two `[D]` weights of q's element
/// type; `q` is the verified query type.
mlir::LogicalResult checkQKNorm(const OpDiag &diag, mlir::RankedTensorType q,
                                int64_t numHeads, mlir::ValueRange norms,
                                mlir::FloatAttr epsilon);

/// The epsilon of moe.attention's q/k norm (default 1e-6).
inline double qkNormEpsilonOf(mlir::FloatAttr attr) {
  return attr ? attr.getValueAsDouble() : 1.0e-6;
}

/// `gate` may be null (no sigmoid gate).
mlir::FailureOr<mlir::RankedTensorType>
checkSharedExpert(const OpDiag &diag, mlir::Type x, mlir::Type wGate,
                  mlir::Type wUp, mlir::Type wDown, mlir::Type gate);

/// Result types of moe.router: scores, indices, probs. `bias` may be null.
struct RouterTypes {
  mlir::RankedTensorType scores, indices, probs;
};
mlir::FailureOr<RouterTypes> checkRouter(const OpDiag &diag, mlir::Type x,
                                         mlir::Type weight, mlir::Type bias,
                                         int64_t topK);

/// Result types of moe.dispatch: sorted, group_sizes.
struct DispatchTypes {
  mlir::RankedTensorType sorted, groupSizes;
};
/// `xName` names x in diagnostics (dispatch_grad checks its result dx).
mlir::FailureOr<DispatchTypes> checkDispatch(const OpDiag &diag, mlir::Type x,
                                             mlir::Type indices,
                                             int64_t numExperts,
                                             llvm::StringRef xName = "x");

/// The optional router scores of moe.dispatch / dispatch_grad: `[B, S, K]`
/// like the (verified) indices, of the element type of the (verified) x.
mlir::LogicalResult checkTokenScores(const OpDiag &diag, mlir::Type scores,
                                     mlir::Type indices, mlir::Type x);

mlir::FailureOr<mlir::RankedTensorType>
checkExperts(const OpDiag &diag, mlir::Type sorted, mlir::Type groupSizes,
             mlir::Type wGate, mlir::Type wUp, mlir::Type wDown);

/// `scores` may be null (an unweighted combine).
mlir::FailureOr<mlir::RankedTensorType> checkCombine(const OpDiag &diag,
                                                     mlir::Type expertOut,
                                                     mlir::Type indices,
                                                     mlir::Type scores);

mlir::FailureOr<mlir::RankedTensorType>
checkAuxLoss(const OpDiag &diag, mlir::Type probs, mlir::Type indices,
             int64_t numExperts, double coefficient);

mlir::FailureOr<mlir::RankedTensorType>
checkCrossEntropy(const OpDiag &diag, mlir::Type logits, mlir::Type targets);
/// An explicit `num_tokens` (the global count a per-rank mean divides by)
/// covers at least the targets' tokens.
mlir::LogicalResult checkCrossEntropyTokens(const OpDiag &diag,
                                            std::optional<uint64_t> numTokens,
                                            mlir::Type targets);

/// Checks that the gradient `grad` (named `name`, e.g. "dout") has the type
/// of the forward value it is the gradient of, `forward` (whose layout, e.g.
/// "[..., N]", is quoted in the shape diagnostic).
mlir::LogicalResult verifyGradType(const OpDiag &diag, mlir::Type grad,
                                   llvm::StringRef name, llvm::StringRef layout,
                                   mlir::RankedTensorType forward);

} // namespace moefold::moe::detail

#endif // MOEFOLD_LIB_DIALECT_MOE_IR_SHAPERULES_H
