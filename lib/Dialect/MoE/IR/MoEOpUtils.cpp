//===- MoEOpUtils.cpp - shared diagnostics for moe op verifiers -----------===//

#include "MoEOpUtils.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace moefold::moe::detail {

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string result;
  llvm::raw_string_ostream os(result);
  os << "[";
  llvm::interleaveComma(shape, os);
  os << "]";
  return result;
}

FailureOr<RankedTensorType> getStaticTensor(const OpDiag &diag, Type type,
                                            StringRef name) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape()) {
    (void)diag.error("expected ", name,
                     " to be a statically shaped tensor, got ", type);
    return failure();
  }
  return tensor;
}

FailureOr<RankedTensorType> getStaticTensorOfRank(const OpDiag &diag, Type type,
                                                  StringRef name, int64_t rank,
                                                  StringRef layout) {
  FailureOr<RankedTensorType> tensor = getStaticTensor(diag, type, name);
  if (failed(tensor))
    return failure();
  if (tensor->getRank() != rank) {
    (void)diag.error("expected ", name, " to have rank ", rank, " (", layout,
                     "), got rank ", tensor->getRank());
    return failure();
  }
  return tensor;
}

FailureOr<RankedTensorType> getStaticTensorOfMinRank(const OpDiag &diag,
                                                     Type type, StringRef name,
                                                     int64_t minRank,
                                                     StringRef layout) {
  FailureOr<RankedTensorType> tensor = getStaticTensor(diag, type, name);
  if (failed(tensor))
    return failure();
  if (tensor->getRank() < minRank) {
    (void)diag.error("expected ", name, " to have rank >= ", minRank, " (",
                     layout, "), got rank ", tensor->getRank());
    return failure();
  }
  return tensor;
}

LogicalResult verifyShape(const OpDiag &diag, ShapedType type, StringRef name,
                          StringRef layout, ArrayRef<int64_t> expected) {
  if (type.getShape() == expected)
    return success();
  return diag.error("expected ", name, " to have shape ", layout, " = ",
                    formatShape(expected), ", got ",
                    formatShape(type.getShape()));
}

LogicalResult verifySameElementType(const OpDiag &diag, ShapedType type,
                                    StringRef name, ShapedType refType,
                                    StringRef refName) {
  if (type.getElementType() == refType.getElementType())
    return success();
  return diag.error("expected ", name, " element type ", type.getElementType(),
                    " to match ", refName, " element type ",
                    refType.getElementType());
}

Type getLossElementType(Type inputElementType) {
  MLIRContext *ctx = inputElementType.getContext();
  if (inputElementType.isF64())
    return Float64Type::get(ctx);
  return Float32Type::get(ctx);
}

LogicalResult verifyPositive(const OpDiag &diag, int64_t value,
                             StringRef name) {
  if (value > 0)
    return success();
  return diag.error(name, " must be positive, got ", value);
}

} // namespace moefold::moe::detail
