//===- Buffers.cpp - entry ABI and deallocation of moe-lower-to-runtime --===//
//
// Deallocation is a single-block last-use analysis rather than MLIR's
// ownership-based buffer deallocation: after the lowering every function is
// straight-line, every buffer is a memref.alloc whose only aliases are
// memref.casts to unranked memrefs passed to runtime calls, and the runtime
// never retains a pointer. The last user of any alias in block order is
// therefore the exact end of the buffer's life; the upstream pass would
// reach the same placement through ownership indicators and
// bufferization.dealloc ops that only cost compile time here.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace moefold;
using namespace moefold::lowering;

/// A 0-d memref of a float or i1 element type: what a 0-d tensor became.
static bool isScalarBuffer(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref || memref.getRank() != 0)
    return false;
  Type element = memref.getElementType();
  return isa<FloatType>(element) || element.isInteger(1);
}

/// The entry-ABI type of a 0-d buffer's element: f64 for floats, else the
/// element type itself.
static Type entryScalarType(MemRefType type) {
  Type element = type.getElementType();
  if (isa<FloatType>(element))
    return Float64Type::get(type.getContext());
  return element;
}

void moefold::lowering::applyEntryABI(func::FuncOp func) {
  MLIRContext *ctx = func.getContext();
  Block &entry = func.getBody().front();
  OpBuilder b(ctx);
  SmallVector<Type> inputs(func.getArgumentTypes());
  SmallVector<Type> results(func.getResultTypes());

  // Arguments: a 0-d buffer becomes a value stored into a fresh buffer.
  b.setInsertionPointToStart(&entry);
  for (unsigned i = 0; i < entry.getNumArguments(); ++i) {
    BlockArgument arg = entry.getArgument(i);
    if (!isScalarBuffer(arg.getType()))
      continue;
    auto type = cast<MemRefType>(arg.getType());
    Location loc = arg.getLoc();
    Value buffer =
        memref::AllocOp::create(b, loc, type, b.getI64IntegerAttr(64));
    arg.replaceAllUsesWith(buffer);
    arg.setType(entryScalarType(type));
    inputs[i] = arg.getType();
    Value v = arg;
    if (v.getType() != type.getElementType())
      v = arith::TruncFOp::create(b, loc, type.getElementType(), v);
    memref::StoreOp::create(b, loc, v, buffer, ValueRange{});
  }

  // Results: load the value of every 0-d buffer before returning.
  func.walk([&](func::ReturnOp ret) {
    b.setInsertionPoint(ret);
    for (OpOperand &operand : ret->getOpOperands()) {
      if (!isScalarBuffer(operand.get().getType()))
        continue;
      auto type = cast<MemRefType>(operand.get().getType());
      Value v =
          memref::LoadOp::create(b, ret.getLoc(), operand.get(), ValueRange{});
      if (isa<FloatType>(v.getType()) && !v.getType().isF64())
        v = arith::ExtFOp::create(b, ret.getLoc(), b.getF64Type(), v);
      results[operand.getOperandNumber()] = entryScalarType(type);
      operand.set(v);
    }
  });
  func.setFunctionType(FunctionType::get(ctx, inputs, results));
  func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                UnitAttr::get(ctx));
}

LogicalResult moefold::lowering::insertDeallocations(func::FuncOp func) {
  if (func.isExternal())
    return success();
  if (!func.getBody().hasOneBlock())
    return func.emitOpError(
        "moe-lower-to-runtime expects straight-line functions (one block)");
  Block &block = func.getBody().front();
  // Position of every top-level op.
  DenseMap<Operation *, unsigned> position;
  unsigned n = 0;
  for (Operation &op : block)
    position[&op] = n++;

  SmallVector<memref::AllocOp> allocs;
  for (Operation &op : block)
    if (auto alloc = dyn_cast<memref::AllocOp>(op))
      allocs.push_back(alloc);

  for (memref::AllocOp alloc : allocs) {
    // The buffer and its casts.
    SmallVector<Value> aliases = {alloc.getResult()};
    Operation *last = alloc;
    bool escapes = false;
    for (unsigned i = 0; i < aliases.size(); ++i) {
      for (OpOperand &use : aliases[i].getUses()) {
        Operation *user = block.findAncestorOpInBlock(*use.getOwner());
        if (!user)
          return use.getOwner()->emitOpError(
              "uses a buffer outside the function's block");
        if (isa<func::ReturnOp>(user))
          escapes = true;
        if (auto cast = dyn_cast<memref::CastOp>(use.getOwner()))
          aliases.push_back(cast.getResult());
        if (position[user] > position[last])
          last = user;
      }
    }
    if (escapes)
      continue;
    OpBuilder b(last->getContext());
    b.setInsertionPointAfter(last);
    memref::DeallocOp::create(b, alloc.getLoc(), alloc.getResult());
  }
  return success();
}
