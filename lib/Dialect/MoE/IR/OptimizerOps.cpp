//===- OptimizerOps.cpp - global norm, clipping and optimizer updates -----===//

#include "moefold/Dialect/MoE/IR/MoEOps.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace moefold::moe;

//===----------------------------------------------------------------------===//
// Hyperparameter checks (shared with moe-build-train-step's options)
//===----------------------------------------------------------------------===//

LogicalResult
ClipScaleOp::verifyMaxNorm(function_ref<InFlightDiagnostic()> emitError,
                           double maxNorm) {
  if (!std::isfinite(maxNorm))
    return emitError() << "max_norm must be finite (<= 0 disables clipping), "
                          "got "
                       << maxNorm;
  return success();
}

LogicalResult
SGDStepOp::verifyWeightDecay(function_ref<InFlightDiagnostic()> emitError,
                             double weightDecay) {
  if (!(weightDecay >= 0.0) || !std::isfinite(weightDecay))
    return emitError() << "weight_decay must be non-negative and finite, got "
                       << weightDecay;
  return success();
}

LogicalResult
AdamWStepOp::verifyHyperparameters(function_ref<InFlightDiagnostic()> emitError,
                                   double beta1, double beta2, double epsilon,
                                   double weightDecay) {
  if (!(beta1 >= 0.0 && beta1 < 1.0))
    return emitError() << "beta1 must be in [0, 1), got " << beta1;
  if (!(beta2 >= 0.0 && beta2 < 1.0))
    return emitError() << "beta2 must be in [0, 1), got " << beta2;
  if (!(epsilon > 0.0) || !std::isfinite(epsilon))
    return emitError() << "epsilon must be positive and finite, got "
                       << epsilon;
  return SGDStepOp::verifyWeightDecay(emitError, weightDecay);
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

LogicalResult GlobalNormOp::verify() {
  if (getGrads().empty())
    return emitOpError("expects at least one gradient");
  return success();
}

LogicalResult ClipScaleOp::verify() {
  return verifyMaxNorm([&] { return emitOpError(); },
                       getMaxNorm().convertToDouble());
}

LogicalResult SGDStepOp::verify() {
  return verifyWeightDecay([&] { return emitOpError(); },
                           getWeightDecay().convertToDouble());
}

LogicalResult AdamWStepOp::verify() {
  return verifyHyperparameters(
      [&] { return emitOpError(); }, getBeta1().convertToDouble(),
      getBeta2().convertToDouble(), getEpsilon().convertToDouble(),
      getWeightDecay().convertToDouble());
}

//===----------------------------------------------------------------------===//
// Gradient buckets
//===----------------------------------------------------------------------===//

/// Checks that `parts` and the 1-D `bucket` agree on element type and count;
/// `what` names the parts ("operand", "result").
static LogicalResult verifyBucket(Operation *op, TypeRange parts,
                                  Type bucketType, StringRef what) {
  if (parts.empty())
    return op->emitOpError() << "expects at least one " << what;
  auto bucket = cast<RankedTensorType>(bucketType);
  if (bucket.getRank() != 1)
    return op->emitOpError() << "expects a 1-D bucket, got " << bucket;
  int64_t total = 0;
  for (auto [i, t] : llvm::enumerate(parts)) {
    auto part = cast<RankedTensorType>(t);
    if (part.getElementType() != bucket.getElementType())
      return op->emitOpError()
             << what << " #" << i << " has element type "
             << part.getElementType() << ", the bucket "
             << bucket.getElementType();
    int64_t n = 1;
    bool overflow = false;
    for (int64_t extent : part.getShape())
      overflow |= llvm::MulOverflow(n, extent, n);
    if (overflow || llvm::AddOverflow(total, n, total))
      return op->emitOpError()
             << "the " << what << "s have more than 2^63 elements together";
  }
  if (total != bucket.getNumElements())
    return op->emitOpError()
           << "the " << what << "s have " << total
           << " elements together, the bucket " << bucket.getNumElements();
  return success();
}

LogicalResult PackOp::verify() {
  return verifyBucket(*this, getInputs().getTypes(), getResult().getType(),
                      "operand");
}

LogicalResult UnpackOp::verify() {
  return verifyBucket(*this, getResults().getTypes(), getInput().getType(),
                      "result");
}
