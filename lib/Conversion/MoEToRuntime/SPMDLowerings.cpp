//===- SPMDLowerings.cpp - per-rank programs: collectives and tables ------===//
//
// The part of moe-lower-to-runtime that only per-rank programs (the output
// of moe-partition) need:
//
//  - collectDistribution: the world size, one group table per (view, axes)
//    a typed spmd op runs over, computed here, at compile time, by the
//    placement algebra (MeshLayout::getGroups); every buffer's global shape
//    and the offsets of each rank's slice (placement::getLocalSlice of its
//    global placement); the rows of the global batch each rank reads.
//    moefold_register() hands all of it to the runtime (Registration.cpp);
//    the runtime only picks its own row.
//  - one pattern per spmd op: collectives become calls of the comm shims
//    (runtime/mlir_abi/CommShims.cpp) naming their group table by id;
//    spmd.convert slices, zero-pads or keeps the first rank's copy, or is a
//    no-op; spmd.reinterpret is a no-op.
//  - the arith/math ops on 0-d tensors moe-partition emits (the loss share
//    `local / global`, squares and the square root of the gradient norm):
//    a load, the scalar op and a store; and the small 1-d integer tables
//    it slices per rank (the vocabulary offsets of a vocab-parallel
//    cross-entropy, spmd.convert R -> V): one store per element.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "moefold/Dialect/MoE/IR/MoEOps.h"
#include "moefold/Dialect/SPMD/IR/MeshLayoutBridge.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"
#include "moefold/Placement/Placement.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace moefold;
using namespace moefold::lowering;

static constexpr StringLiteral kGlobalTypeAttr = "global_type";
static constexpr StringLiteral kGlobalPlacementAttr = "global_placement";
static constexpr StringLiteral kArgGlobalTypeAttr = "moe.global_type";
static constexpr StringLiteral kArgGlobalPlacementAttr = "moe.global_placement";

std::string moefold::lowering::groupKey(StringRef view, ArrayAttr axes) {
  std::string key = view.str() + ".";
  for (auto [i, axis] : llvm::enumerate(axes.getAsValueRange<StringAttr>()))
    key += (i ? "+" : "") + axis.str();
  return key;
}

namespace {

bool isTypedSPMDOp(Operation *op) {
  return isa<spmd::AllReduceOp, spmd::AllGatherOp, spmd::ReduceScatterOp,
             spmd::AllToAllOp, spmd::ConvertOp, spmd::ReinterpretOp>(op);
}

/// The slice offsets of every rank ([world][rank]) of a tensor of
/// `globalShape` placed `placement`; empty when every rank holds it whole.
/// `localShape` is checked against the slice sizes.
FailureOr<std::vector<int64_t>>
rankOffsetsOf(const placement::MeshLayout &layout, spmd::PlacementAttr attr,
              ArrayRef<int64_t> globalShape, ArrayRef<int64_t> localShape,
              function_ref<InFlightDiagnostic()> emitError) {
  FailureOr<placement::TensorPlacement> tp =
      spmd::getTensorPlacement(layout, attr, emitError);
  if (failed(tp))
    return failure();
  const placement::View *view = layout.lookupView(tp->getViewName());
  std::vector<int64_t> offsets;
  bool whole = true;
  for (int64_t r = 0; r < layout.getWorld(); ++r) {
    auto slice = placement::getLocalSlice(*view, globalShape, *tp, r);
    if (!slice) {
      InFlightDiagnostic d = emitError();
      d << llvm::toString(slice.takeError());
      return d;
    }
    for (auto [d, s] : llvm::enumerate(*slice)) {
      if (s.size != localShape[d]) {
        InFlightDiagnostic diag = emitError();
        diag << "its local extent " << localShape[d] << " in dim " << d
             << " is not the extent " << s.size << " its placement gives rank "
             << r;
        return diag;
      }
      whole &= s.offset == 0 && s.size == globalShape[d];
      offsets.push_back(s.offset);
    }
  }
  if (whole)
    offsets.clear();
  return offsets;
}

} // namespace

LogicalResult moefold::lowering::collectDistribution(ModuleOp module,
                                                     LoweringState &state,
                                                     Geometry &geometry) {
  // A per-rank program has typed spmd ops or declarations that remember a
  // global type; anything else is a global (world = 1) program, whose mesh
  // and placements are ignored.
  bool perRank = false;
  module.walk([&](Operation *op) {
    if (isTypedSPMDOp(op) || op->hasAttr(kGlobalTypeAttr))
      perRank = true;
  });
  for (auto func : module.getOps<func::FuncOp>())
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (func.getArgAttr(i, kArgGlobalTypeAttr))
        perRank = true;
  if (!perRank)
    return success();

  auto meshes = llvm::to_vector(module.getOps<spmd::MeshOp>());
  if (meshes.size() != 1)
    return emitError(meshes.size() > 1 ? meshes[1].getLoc() : module.getLoc())
           << "a per-rank program (with spmd collectives or global types) "
              "needs exactly one 'spmd.mesh', found "
           << meshes.size();
  FailureOr<placement::MeshLayout> layout = spmd::getMeshLayout(meshes[0]);
  if (failed(layout))
    return failure();
  state.world = layout->getWorld();

  bool ok = true;
  // One group table per (view, axes), in program order.
  module.walk([&](Operation *op) {
    if (!isTypedSPMDOp(op))
      return;
    auto view = op->getAttrOfType<StringAttr>("view");
    auto axes = op->getAttrOfType<ArrayAttr>("axes");
    auto mesh = op->getAttrOfType<FlatSymbolRefAttr>("mesh");
    if (!view || !axes || !mesh)
      return;
    if (mesh.getValue() != meshes[0].getSymName()) {
      op->emitError("runs over @")
          << mesh.getValue() << ", which is not the module's mesh @"
          << meshes[0].getSymName();
      ok = false;
      return;
    }
    std::string key = groupKey(view.getValue(), axes);
    if (state.groupIds.count(key))
      return;
    SmallVector<StringRef> axisNames(axes.getAsValueRange<StringAttr>());
    auto groups = layout->getGroups(view.getValue(), axisNames);
    if (!groups) {
      op->emitError() << llvm::toString(groups.takeError());
      ok = false;
      return;
    }
    GroupTableInfo table;
    table.name = key;
    table.numGroups = static_cast<int64_t>(groups->size());
    table.groupSize = static_cast<int64_t>(groups->front().size());
    for (const placement::RankGroup &g : *groups)
      table.members.insert(table.members.end(), g.begin(), g.end());
    state.groupIds[key] = static_cast<int64_t>(state.groups.size());
    state.groups.push_back(std::move(table));
  });

  // Buffers: the global tensor a declaration is a slice of.
  auto layoutOf = [&](Operation *op, StringRef name, RankedTensorType local,
                      spmd::PlacementAttr placement) {
    auto global = op->getAttrOfType<TypeAttr>(kGlobalTypeAttr);
    if (!global)
      return;
    auto globalType = dyn_cast<RankedTensorType>(global.getValue());
    if (!globalType || globalType.getRank() != local.getRank() ||
        globalType.getElementType() != local.getElementType()) {
      op->emitError("its global type ")
          << global.getValue() << " does not match its local type " << local;
      ok = false;
      return;
    }
    std::vector<int64_t> offsets;
    if (placement) {
      FailureOr<std::vector<int64_t>> o =
          rankOffsetsOf(*layout, placement, globalType.getShape(),
                        local.getShape(), [&] { return op->emitError(); });
      if (failed(o)) {
        ok = false;
        return;
      }
      offsets = std::move(*o);
    } else if (globalType != local) {
      op->emitError("is a slice of ")
          << globalType << " but carries no placement saying which";
      ok = false;
      return;
    }
    BufferInfo &info = state.buffers[name];
    info.globalShape.assign(globalType.getShape().begin(),
                            globalType.getShape().end());
    info.rankOffsets = std::move(offsets);
  };
  for (auto param : module.getOps<moe::ParamOp>())
    layoutOf(param, param.getSymName(), param.getTensorType(),
             param.getPlacementAttr());
  for (auto st : module.getOps<moe::StateOp>())
    layoutOf(st, st.getSymName(), st.getTensorType(),
             st->getAttrOfType<spmd::PlacementAttr>(kGlobalPlacementAttr));

  // The batch: the tokens of the entry functions, split by rows.
  for (StringRef name : {"moefold_train_step", "moefold_eval"}) {
    auto f = module.lookupSymbol<func::FuncOp>(name);
    if (!f || f.getNumArguments() < 2)
      continue;
    auto global = f.getArgAttrOfType<TypeAttr>(0, kArgGlobalTypeAttr);
    auto placement =
        f.getArgAttrOfType<spmd::PlacementAttr>(0, kArgGlobalPlacementAttr);
    auto local = dyn_cast<RankedTensorType>(f.getArgumentTypes()[0]);
    if (!global || !placement || !local)
      continue;
    auto globalType = dyn_cast<RankedTensorType>(global.getValue());
    if (!globalType || globalType.getRank() != 2 || local.getRank() != 2)
      continue;
    if (f.getArgAttr(1, kArgGlobalTypeAttr) != global ||
        f.getArgAttr(1, kArgGlobalPlacementAttr) != placement) {
      f.emitError("the tokens and targets of @")
          << name << " are split differently";
      ok = false;
      continue;
    }
    FailureOr<std::vector<int64_t>> offsets =
        rankOffsetsOf(*layout, placement, globalType.getShape(),
                      local.getShape(), [&] { return f.emitError(); });
    if (failed(offsets)) {
      ok = false;
      continue;
    }
    std::vector<int64_t> rows;
    for (int64_t r = 0; !offsets->empty() && r < state.world; ++r) {
      if ((*offsets)[r * 2 + 1] != 0) {
        f.emitError("splits the sequence of its tokens (")
            << placement
            << "): the driver reads whole rows of the global batch";
        ok = false;
        break;
      }
      rows.push_back((*offsets)[r * 2]);
    }
    if (geometry.globalBatch == 0) {
      geometry.globalBatch = globalType.getShape()[0];
      geometry.rankRows = std::move(rows);
    }
  }
  return success(ok);
}

/// The largest 1-d integer table lowered element by element (tables are
/// indexed by a rank's coordinate on an axis: a handful of elements).
static constexpr int64_t kMaxIntTableElements = 4096;

bool moefold::lowering::isSupportedTensorArith(Operation *op,
                                               std::string &why) {
  auto isScalarFloat = [](Type t) {
    auto tensor = dyn_cast<RankedTensorType>(t);
    return tensor && tensor.getRank() == 0 &&
           (tensor.getElementType().isF32() || tensor.getElementType().isF64());
  };
  if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
    auto tensor = dyn_cast<RankedTensorType>(cst.getType());
    auto dense = dyn_cast<DenseElementsAttr>(cst.getValue());
    Type e = tensor ? tensor.getElementType() : Type();
    bool isInt = e && (e.isInteger(32) || e.isInteger(64));
    if (tensor && dense && dense.isSplat() && tensor.hasStaticShape() &&
        (e.isF32() || e.isF64() || (tensor.getRank() == 0 && isInt)))
      return true;
    if (tensor && dense && isInt && tensor.getRank() == 1 &&
        tensor.hasStaticShape() &&
        tensor.getNumElements() <= kMaxIntTableElements)
      return true;
    why = "only splat f32/f64 tensors, 0-d i32/i64 constants and 1-d i32/i64 "
          "tables of at most 4096 elements are lowered";
    return false;
  }
  if (isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
          math::SqrtOp>(op)) {
    if (llvm::all_of(op->getOperandTypes(), isScalarFloat) &&
        llvm::all_of(op->getResultTypes(), isScalarFloat))
      return true;
    why = "only 0-d f32/f64 tensors are lowered (scalars the partitioner "
          "emits)";
    return false;
  }
  why = "no lowering of this op on tensors";
  return false;
}

namespace {

template <typename OpTy> struct SPMDPattern : OpConversionPattern<OpTy> {
  SPMDPattern(TypeConverter &converter, MLIRContext *ctx, LoweringState &state)
      : OpConversionPattern<OpTy>(converter, ctx), state(state) {}
  LoweringState &state;

  /// The group table id of `op`'s (view, axes).
  FailureOr<int64_t> groupId(OpTy op, ConversionPatternRewriter &rw) const {
    auto it = state.groupIds.find(groupKey(op.getView(), op.getAxes()));
    if (it == state.groupIds.end())
      return rw.notifyMatchFailure(op, "no group table");
    return it->second;
  }
};

/// "f32", "f64", "i32" or "i64" (the checks ran first).
std::string elementSuffix(Type type) {
  Type e = getElementTypeOrSelf(type);
  if (e.isF64())
    return "f64";
  if (e.isF32())
    return "f32";
  return e.isInteger(64) ? "i64" : "i32";
}

std::string commName(StringRef base, Type type) {
  return (kShimPrefix + base + "_" + elementSuffix(type)).str();
}

struct AllReduceLowering : SPMDPattern<spmd::AllReduceOp> {
  using SPMDPattern::SPMDPattern;
  LogicalResult matchAndRewrite(spmd::AllReduceOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    FailureOr<int64_t> id = groupId(op, rw);
    if (failed(id))
      return failure();
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.i64(*id).buffer(a.getInput()).buffer(out);
    c.i32(static_cast<int32_t>(op.getReduction()));
    c.callNamed(commName("all_reduce", op.getType()));
    rw.replaceOp(op, out);
    return success();
  }
};

struct AllGatherLowering : SPMDPattern<spmd::AllGatherOp> {
  using SPMDPattern::SPMDPattern;
  LogicalResult matchAndRewrite(spmd::AllGatherOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    FailureOr<int64_t> id = groupId(op, rw);
    if (failed(id))
      return failure();
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.i64(*id).buffer(a.getInput()).buffer(out).i64(op.getDim());
    c.callNamed(commName("all_gather", op.getType()));
    rw.replaceOp(op, out);
    return success();
  }
};

struct ReduceScatterLowering : SPMDPattern<spmd::ReduceScatterOp> {
  using SPMDPattern::SPMDPattern;
  LogicalResult matchAndRewrite(spmd::ReduceScatterOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    FailureOr<int64_t> id = groupId(op, rw);
    if (failed(id))
      return failure();
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.i64(*id).buffer(a.getInput()).buffer(out).i64(op.getDim());
    c.i32(static_cast<int32_t>(op.getReduction()));
    c.callNamed(commName("reduce_scatter", op.getType()));
    rw.replaceOp(op, out);
    return success();
  }
};

/// Ragged rows: the receive buffer has sum(recv_counts) rows (or the
/// result's static extent, a capacity).
struct AllToAllLowering : SPMDPattern<spmd::AllToAllOp> {
  using SPMDPattern::SPMDPattern;
  LogicalResult matchAndRewrite(spmd::AllToAllOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    FailureOr<int64_t> id = groupId(op, rw);
    if (failed(id))
      return failure();
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    std::string counts =
        elementSuffix(op.getRecvCounts().getType()); // i32 or i64
    MemRefType type = memrefTypeOf(resultType);
    Value out;
    if (resultType.hasStaticShape()) {
      out = memref::AllocOp::create(rw, loc, type, rw.getI64IntegerAttr(64));
    } else {
      CallBuilder n(rw, loc, state);
      n.buffer(a.getRecvCounts());
      Value rows = n.callNamed((kShimPrefix + "count_rows_" + counts).str(),
                               rw.getI64Type())
                       .getResult(0);
      Value index =
          arith::IndexCastOp::create(rw, loc, rw.getIndexType(), rows);
      out = memref::AllocOp::create(rw, loc, type, ValueRange{index},
                                    rw.getI64IntegerAttr(64));
    }
    CallBuilder c(rw, loc, state);
    c.i64(*id).buffer(a.getInput()).buffer(a.getSendCounts()).buffer(out);
    c.buffer(a.getRecvCounts());
    c.callNamed(commName("all_to_all", resultType) + "_" + counts);
    rw.replaceOp(op, out);
    return success();
  }
};

struct ConvertLowering : SPMDPattern<spmd::ConvertOp> {
  using SPMDPattern::SPMDPattern;
  LogicalResult matchAndRewrite(spmd::ConvertOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    using K = spmd::LocalTypeKind;
    K src = op.getSrc(), dst = op.getDst();
    // R <-> I: the same data on every rank, no work.
    if ((src == K::Replicate && dst == K::Invariant) ||
        (src == K::Invariant && dst == K::Replicate)) {
      rw.replaceOp(op, a.getInput());
      return success();
    }
    StringRef shim;
    if (dst == K::Varying && (src == K::Replicate || src == K::Invariant))
      shim = "local_slice";
    else if (src == K::Varying && dst == K::Partial)
      shim = "zero_pad";
    else if (dst == K::Partial && (src == K::Replicate || src == K::Invariant))
      shim = "keep_first";
    else
      return rw.notifyMatchFailure(op, "not a conversion without "
                                       "communication");
    FailureOr<int64_t> id = groupId(op, rw);
    if (failed(id))
      return failure();
    CallBuilder c(rw, op.getLoc(), state);
    Value out = c.alloc(op.getType());
    c.i64(*id).buffer(a.getInput()).buffer(out);
    if (shim != "keep_first")
      c.i64(op.getDim().value_or(0));
    c.callNamed(commName(shim, op.getType()));
    rw.replaceOp(op, out);
    return success();
  }
};

/// The local data is kept as it is.
struct ReinterpretLowering : SPMDPattern<spmd::ReinterpretOp> {
  using SPMDPattern::SPMDPattern;
  LogicalResult matchAndRewrite(spmd::ReinterpretOp op, OpAdaptor a,
                                ConversionPatternRewriter &rw) const override {
    rw.replaceOp(op, a.getInput());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// arith / math on tensors
//===----------------------------------------------------------------------===//

struct TensorConstantLowering : OpConversionPattern<arith::ConstantOp> {
  TensorConstantLowering(TypeConverter &converter, MLIRContext *ctx,
                         LoweringState &state)
      : OpConversionPattern(converter, ctx), state(state) {}
  LoweringState &state;
  LogicalResult matchAndRewrite(arith::ConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &rw) const override {
    auto tensor = dyn_cast<RankedTensorType>(op.getType());
    auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
    if (!tensor || !dense)
      return failure();
    Location loc = op.getLoc();
    if (!dense.isSplat() || (tensor.getRank() == 1 &&
                             !isa<FloatType>(tensor.getElementType()))) {
      // A 1-d integer table: one store per element.
      if (tensor.getRank() != 1 || isa<FloatType>(tensor.getElementType()))
        return rw.notifyMatchFailure(op, "non-splat constant");
      Value out = memref::AllocOp::create(rw, loc, memrefTypeOf(tensor),
                                          rw.getI64IntegerAttr(64));
      for (auto [i, value] : llvm::enumerate(dense.getValues<APInt>())) {
        Value index = arith::ConstantIndexOp::create(rw, loc, i);
        Value v = arith::ConstantOp::create(
            rw, loc, IntegerAttr::get(tensor.getElementType(), value));
        memref::StoreOp::create(rw, loc, v, out, ValueRange{index});
      }
      rw.replaceOp(op, out);
      return success();
    }
    Value out = memref::AllocOp::create(rw, loc, memrefTypeOf(tensor),
                                        rw.getI64IntegerAttr(64));
    Type e = tensor.getElementType();
    if (tensor.getRank() == 0 || !isa<FloatType>(e)) {
      // A scalar (or an integer splat): one store per element.
      TypedAttr value = dense.getSplatValue<TypedAttr>();
      Value v = arith::ConstantOp::create(rw, loc, value);
      // Integer splats of rank > 1 are refused by isSupportedTensorArith
      // (rank 1 is a table, above).
      if (tensor.getRank() != 0)
        return rw.notifyMatchFailure(op, "integer tensor splat");
      memref::StoreOp::create(rw, loc, v, out, ValueRange{});
    } else {
      CallBuilder c(rw, loc, state);
      c.f64(dense.getSplatValue<APFloat>().convertToDouble()).buffer(out);
      c.call("fill_fwd", tensor);
    }
    rw.replaceOp(op, out);
    return success();
  }
};

/// load, the scalar op, store into a fresh 0-d buffer.
template <typename OpTy>
struct ScalarTensorLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor a,
                                ConversionPatternRewriter &rw) const override {
    auto tensor = dyn_cast<RankedTensorType>(op.getType());
    if (!tensor || tensor.getRank() != 0)
      return failure();
    Location loc = op.getLoc();
    SmallVector<Value> scalars;
    for (Value operand : a.getOperands())
      scalars.push_back(memref::LoadOp::create(rw, loc, operand, ValueRange{}));
    Value v = OpTy::create(rw, loc, scalars);
    Value out = memref::AllocOp::create(rw, loc, memrefTypeOf(tensor),
                                        rw.getI64IntegerAttr(64));
    memref::StoreOp::create(rw, loc, v, out, ValueRange{});
    rw.replaceOp(op, out);
    return success();
  }
};

} // namespace

void moefold::lowering::populateSPMDToRuntimePatterns(
    TypeConverter &converter, RewritePatternSet &patterns,
    LoweringState &state) {
  patterns.add<AllReduceLowering, AllGatherLowering, ReduceScatterLowering,
               AllToAllLowering, ConvertLowering, ReinterpretLowering,
               TensorConstantLowering>(converter, patterns.getContext(), state);
  patterns.add<
      ScalarTensorLowering<arith::AddFOp>, ScalarTensorLowering<arith::SubFOp>,
      ScalarTensorLowering<arith::MulFOp>, ScalarTensorLowering<arith::DivFOp>,
      ScalarTensorLowering<math::SqrtOp>>(converter, patterns.getContext());
}
