//===- ExpertParallel.cpp - the folded dispatch (ep > 1) -------------------===//
//
// Expert parallelism in moe-partition (docs/partition.md, "Expert
// parallelism and the folded dispatch"). With the routed-expert weights
// split by expert over `ep`, the global chain
//
//   %sorted, %sizes = moe.dispatch %x, %idx
//   %y = moe.experts %sorted, %sizes, %wg, %wu, %wd
//   %out = moe.combine %y, %idx, %scores
//
// (or, scores before the experts, `moe.dispatch %x, %idx scores %scores`
// and an unweighted `moe.combine %y, %idx`: the scores are folded with the
// tokens and their gradient comes from the moe.dispatch_grad)
//
// becomes, per rank: the tokens folded over tp (a local slice, so that the
// tp lanes, which hold the same tokens, each route a different part), a
// local dispatch over the global experts, the counts exchanged, the rows
// exchanged over ep into a static worst-case capacity, the local experts
// on [E/ep] weights, the rows sent back, and a local combine whose result is
// split over tp (consumers get it whole by the usual redistribution). The
// backward ops are the transposes. Every op stays static-shaped.
//
// With expert tensor parallelism (etp = tp, the weights also split on F
// over etp) there is no fold: the tp lanes are the etp lanes, each runs its
// F slice of the same rows, and the expert outputs are a pending sum over tp
// that the linear all_to_all and combine keep; consumers reduce it (the
// lazy reduction of a row-parallel linear). In the backward the score and
// token gradients are pending sums over tp the same way.
//
//===----------------------------------------------------------------------===//

#include "ExpertParallel.h"

#include "moefold/Dialect/MoE/IR/MoEOps.h"
#include "moefold/Placement/LocalType.h"
#include "moefold/Placement/View.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace moefold;
using namespace moefold::moe;
using namespace moefold::moe::partition;
using placement::AxisPlacement;
using placement::TensorPlacement;
using placement::View;

namespace {
constexpr StringLiteral kTpAxis = "tp";
constexpr StringLiteral kEpAxis = "ep";
constexpr StringLiteral kEdpAxis = "edp";
constexpr StringLiteral kEtpAxis = "etp";
} // namespace

static int64_t axisSize(const View &view, StringRef name) {
  std::optional<unsigned> a = view.findAxis(name);
  return a ? view.getAxisSize(*a) : 1;
}

bool ExpertParallel::handles(Operation *op) const {
  if (isa<DispatchOp>(op))
    return true;
  if (auto experts = dyn_cast<ExpertsOp>(op))
    return lookup(experts.getSorted());
  if (auto combine = dyn_cast<CombineOp>(op))
    return lookup(combine.getExpertOut());
  if (auto grad = dyn_cast<CombineGradOp>(op))
    return lookup(grad.getExpertOut());
  if (auto grad = dyn_cast<ExpertsGradOp>(op))
    return lookup(grad.getSorted());
  if (auto grad = dyn_cast<DispatchGradOp>(op))
    return lookup(grad.getDsorted());
  return false;
}

ExpertParallel::Chain *ExpertParallel::lookup(Value global) const {
  return byValue.lookup(global);
}

LogicalResult ExpertParallel::checkUses(Operation *op) const {
  for (auto [i, operand] : llvm::enumerate(op->getOperands()))
    if (lookup(operand))
      return op->emitOpError()
             << "uses operand #" << i
             << ", a token-row value of an expert-parallel moe.dispatch / "
                "moe.experts / moe.combine chain: under expert parallelism "
                "(ep > 1) these exist only as per-rank exchanged rows, and "
                "only the chain's own ops (and their gradients) may use them";
  return success();
}

LogicalResult ExpertParallel::partition(Operation *op) {
  if (isa<DispatchOp>(op))
    return partitionDispatch(op);
  if (isa<ExpertsOp>(op))
    return partitionExperts(op);
  if (isa<CombineOp>(op))
    return partitionCombine(op);
  if (isa<CombineGradOp>(op))
    return partitionCombineGrad(op);
  if (isa<ExpertsGradOp>(op))
    return partitionExpertsGrad(op);
  return partitionDispatchGrad(op);
}

/// The tokens' placement with an extra S(d) over tp on a token dim d (the
/// batch if the local batch divides, else the sequence): each tp lane
/// routes its own part of the tokens the lanes share.
FailureOr<TensorPlacement> ExpertParallel::foldPlacement(Operation *op,
                                                         Value x) {
  PlacementContext &ctx = host.getPlacementContext();
  TensorPlacement p = host.current(x).placement;
  if (p.getViewName() != spmd::kDenseView)
    return op->emitOpError()
           << "expects its tokens on the dense view, but they are placed on '"
           << p.getViewName() << "'";
  const View &view = ctx.getView(spmd::kDenseView);
  // Pending sums are reduced (scattered over tp below) by getAs.
  for (unsigned a = 0, e = p.getNumAxes(); a < e; ++a)
    if (p[a].isPartial())
      p.set(a, AxisPlacement::replicate());
  std::optional<unsigned> tp = view.findAxis(kTpAxis);
  if (!tp || view.getAxisSize(*tp) == 1)
    return p;
  // etp = tp: every tp lane routes all the tokens (whole over tp) and runs
  // its F slice of the experts on them.
  if (axisSize(ctx.getView(spmd::kExpertView), kEtpAxis) > 1) {
    if (p[*tp].isShard() && !p[*tp].isShardOf(0) && !p[*tp].isShardOf(1))
      return op->emitOpError()
             << "expects its tokens whole over tp (R or a pending sum) or "
                "split there on the batch or sequence, but they are split "
                "on the hidden dim";
    p.set(*tp, AxisPlacement::replicate());
    return p;
  }
  int64_t tpSize = view.getAxisSize(*tp);
  // Tokens already split over tp on a token dim (a folded combine's result
  // flowing on) are folded as they are.
  if (p[*tp].isShardOf(0) || p[*tp].isShardOf(1))
    return p;
  if (!p[*tp].isReplicate())
    return op->emitOpError()
           << "expects its tokens whole over tp (R or a pending sum) or split "
              "there on the batch or sequence for the folded dispatch, but "
              "they are split on the hidden dim";
  auto type = cast<RankedTensorType>(x.getType());
  // The local extent of each token dim before the fold.
  auto localExtent = [&](int64_t dim) {
    int64_t extent = type.getDimSize(dim);
    for (unsigned a : p.getShardAxes(dim))
      extent /= view.getAxisSize(a);
    return extent;
  };
  int64_t batch = localExtent(0), seq = localExtent(1);
  int64_t dim = batch % tpSize == 0 ? 0 : seq % tpSize == 0 ? 1 : -1;
  if (dim < 0)
    return op->emitOpError()
           << "cannot fold the tokens over tp = " << tpSize
           << " for expert parallelism: neither the local batch (" << batch
           << ") nor the sequence (" << seq
           << ") is divisible by tp; choose a batch size or tp that divides";
  p.set(*tp, AxisPlacement::shard(dim));
  return p;
}

/// Makes the version of `global` whole over tp (an all_gather, or with
/// `asPartial` a zero-padded pending sum) the one its consumers start from.
LogicalResult ExpertParallel::unfold(Value global, Operation *op,
                                     bool asPartial) {
  TensorPlacement p = host.current(global).placement;
  const View &view = host.getPlacementContext().getView(spmd::kDenseView);
  std::optional<unsigned> tp = view.findAxis(kTpAxis);
  if (!tp || view.getAxisSize(*tp) == 1 || !p[*tp].isShard())
    return success();
  p.set(*tp, asPartial ? AxisPlacement::partial() : AxisPlacement::replicate());
  FailureOr<Placed> whole = host.getAs(global, p, op, asPartial);
  if (failed(whole))
    return failure();
  host.define(global, *whole);
  return success();
}

void ExpertParallel::definePending(Value global, const Chain &chain,
                                  Value local) {
  const View &view = host.getPlacementContext().getView(spmd::kDenseView);
  TensorPlacement p = chain.fold;
  Kinds kinds = host.kindsOf(p);
  unsigned tp = *view.findAxis(kTpAxis);
  p.set(tp, AxisPlacement::partial());
  kinds[tp] = spmd::LocalTypeKind::Varying; // made by a contraction: pending V
  host.define(global, Placed{p, local, kinds});
}

Value ExpertParallel::allToAll(Location loc, Value input, Value send,
                               Value recv, int64_t rows) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = rows;
  return spmd::AllToAllOp::create(
      host.getBuilder(), loc, RankedTensorType::get(shape, type.getElementType()),
      input, send, recv, host.getMesh(), spmd::kExpertView, {kEpAxis});
}

//===----------------------------------------------------------------------===//
// Forward
//===----------------------------------------------------------------------===//

LogicalResult ExpertParallel::partitionDispatch(Operation *op) {
  auto dispatch = cast<DispatchOp>(op);
  OpBuilder &b = host.getBuilder();
  Location loc = op->getLoc();
  const View &expert = host.getPlacementContext().getView(spmd::kExpertView);
  int64_t ep = axisSize(expert, kEpAxis);
  int64_t numExperts = dispatch.getNumExperts();
  if (numExperts % ep != 0)
    return op->emitOpError()
           << "has num_experts = " << numExperts
           << ", not divisible by ep = " << ep
           << ": expert parallelism gives every ep rank the same number of "
              "experts";

  FailureOr<TensorPlacement> fold = foldPlacement(op, dispatch.getX());
  if (failed(fold))
    return failure();
  FailureOr<Placed> x = host.getAs(dispatch.getX(), *fold, op, false);
  if (failed(x))
    return failure();
  FailureOr<Placed> idx = host.getAs(dispatch.getIndices(), *fold, op, false);
  if (failed(idx))
    return failure();
  // Scores before the experts: folded like the tokens they scale.
  SmallVector<Value, 3> operands = {x->local, idx->local};
  if (Value globalScores = dispatch.getScores()) {
    FailureOr<Placed> scores = host.getAs(globalScores, *fold, op, false);
    if (failed(scores))
      return failure();
    operands.push_back(scores->local);
  }

  // 2. Local dispatch over the global experts.
  auto xType = cast<RankedTensorType>(x->local.getType());
  auto idxType = cast<RankedTensorType>(idx->local.getType());
  int64_t rows = idxType.getNumElements();
  auto sortedType = RankedTensorType::get({rows, xType.getDimSize(2)},
                                          xType.getElementType());
  auto sizesType = RankedTensorType::get({numExperts}, b.getI32Type());
  Operation *local = cloneWith(b, op, operands, {sortedType, sizesType});

  Chain &chain = chains.emplace_back();
  chain.fold = *fold;
  chain.numExperts = numExperts;
  chain.ep = ep;
  chain.sorted = local->getResult(0);
  chain.sizes = local->getResult(1);
  chain.foldedXType = xType;
  chain.tokens = idxType.getDimSize(0) * idxType.getDimSize(1);
  chain.topK = idxType.getDimSize(2);
  chain.etp = axisSize(expert, kEtpAxis) > 1;

  // 3. Counts first: from each peer, how many rows it sends for each of my
  // E/ep experts (peer-major [ep][E/ep]); then per-peer totals.
  auto countsType = RankedTensorType::get({ep}, b.getI32Type());
  Value perPeer = arith::ConstantOp::create(
      b, loc, countsType,
      DenseElementsAttr::get(countsType,
                             b.getI32IntegerAttr(int32_t(numExperts / ep))));
  chain.peerSizes = spmd::AllToAllOp::create(
      b, loc, sizesType, chain.sizes, perPeer, perPeer, host.getMesh(),
      spmd::kExpertView, {kEpAxis});
  chain.send = PeerCountsOp::create(b, loc, chain.sizes, ep);
  chain.recv = PeerCountsOp::create(b, loc, chain.peerSizes, ep);

  byValue[dispatch.getSorted()] = &chain;
  byValue[dispatch.getGroupSizes()] = &chain;
  return success();
}

LogicalResult ExpertParallel::partitionExperts(Operation *op) {
  auto experts = cast<ExpertsOp>(op);
  Chain &chain = *lookup(experts.getSorted());
  if (lookup(experts.getGroupSizes()) != &chain)
    return op->emitOpError() << "takes the rows and the group sizes of "
                                "different moe.dispatch ops";
  Location loc = op->getLoc();

  // The weights as stored: split by expert over ep and, with etp = tp, on
  // F over etp (w_gate/w_up [E, H, F] on dim 2, w_down [E, F, H] on dim 1).
  SmallVector<Value, 3> weights;
  chain.weights.clear();
  const View &view = host.getPlacementContext().getView(spmd::kExpertView);
  SmallVector<Value, 3> globals = {experts.getWGate(), experts.getWUp(),
                                  experts.getWDown()};
  for (auto [i, w] : llvm::enumerate(globals)) {
    TensorPlacement p = host.current(w).placement;
    int64_t fDim = i == 2 ? 1 : 2;
    for (unsigned a = 0, e = view.getNumAxes(); a < e; ++a) {
      StringRef name = view.getAxis(a).name;
      bool ok = name == kEpAxis    ? p[a].isShardOf(0)
                : name == kEtpAxis ? view.getAxisSize(a) == 1 ||
                                         p[a].isShardOf(fDim)
                                   : view.getAxisSize(a) == 1 ||
                                         p[a].isReplicate();
      if (!ok) {
        std::string text;
        llvm::raw_string_ostream os(text);
        os << p;
        return op->emitOpError()
               << "needs its expert weights split by expert over ep (S(0)) "
                  "and, with etp > 1, on F over etp (S(2) for w_gate and "
                  "w_up, S(1) for w_down), replicated elsewhere; operand #"
               << (i + 2) << " is placed " << text;
      }
    }
    FailureOr<Placed> local = host.getAs(w, p, op, false);
    if (failed(local))
      return failure();
    weights.push_back(local->local);
    chain.weights.push_back(p);
  }

  // 4. Rows to the ranks holding their experts, into the worst case
  // C = ep * Tf * min(K, E/ep) (dropless; rows past sum(recv) are padding).
  int64_t capacity = chain.ep * chain.tokens *
                     std::min<int64_t>(chain.topK, chain.numExperts / chain.ep);
  chain.rows = allToAll(loc, chain.sorted, chain.send, chain.recv, capacity);

  // 5. Local experts on the received rows, groups peer-major.
  auto rowsType = cast<RankedTensorType>(chain.rows.getType());
  Operation *local = cloneWith(
      host.getBuilder(), op,
      {chain.rows, chain.peerSizes, weights[0], weights[1], weights[2]},
      {rowsType});

  // 6. Outputs back, in this rank's dispatch order.
  chain.back = allToAll(loc, local->getResult(0), chain.recv, chain.send,
                        cast<RankedTensorType>(chain.sorted.getType())
                            .getDimSize(0));
  byValue[experts.getResult()] = &chain;
  return success();
}

LogicalResult ExpertParallel::partitionCombine(Operation *op) {
  auto combine = cast<CombineOp>(op);
  Chain &chain = *lookup(combine.getExpertOut());
  FailureOr<Placed> idx = host.getAs(combine.getIndices(), chain.fold, op, false);
  if (failed(idx))
    return failure();
  SmallVector<Value, 3> operands = {chain.back, idx->local};
  if (Value globalScores = combine.getScores()) {
    FailureOr<Placed> scores = host.getAs(globalScores, chain.fold, op, false);
    if (failed(scores))
      return failure();
    operands.push_back(scores->local);
  }
  // 7. The combined tokens stay folded (S(d) over tp); consumers get them
  // whole by the usual redistribution. With etp = tp they are a pending sum
  // over tp (the combine is linear in the expert outputs), which consumers
  // reduce.
  Operation *local =
      cloneWith(host.getBuilder(), op, operands, {chain.foldedXType});
  if (chain.etp) {
    definePending(combine.getResult(), chain, local->getResult(0));
    return success();
  }
  host.define(combine.getResult(),
              Placed{chain.fold, local->getResult(0), host.kindsOf(chain.fold)});
  return unfold(combine.getResult(), op, /*asPartial=*/false);
}

//===----------------------------------------------------------------------===//
// Backward: the transposes
//===----------------------------------------------------------------------===//

LogicalResult ExpertParallel::partitionCombineGrad(Operation *op) {
  auto grad = cast<CombineGradOp>(op);
  Chain &chain = *lookup(grad.getExpertOut());
  FailureOr<Placed> idx = host.getAs(grad.getIndices(), chain.fold, op, false);
  if (failed(idx))
    return failure();
  // The output gradient folded like the tokens: a slice of a whole one, a
  // reduce-scatter of a pending sum over tp.
  FailureOr<Placed> dout = host.getAs(grad.getDout(), chain.fold, op, false);
  if (failed(dout))
    return failure();
  if (!grad.getScores()) {
    // Unweighted (scores before the experts): no score gradient here; the
    // router's comes from the moe.dispatch_grad.
    Operation *local =
        cloneWith(host.getBuilder(), op,
                  {chain.back, idx->local, dout->local}, {chain.back.getType()});
    chain.dBack = local->getResult(0);
    byValue[grad.getDexpertOut()] = &chain;
    return success();
  }
  FailureOr<Placed> scores =
      host.getAs(grad.getScores(), chain.fold, op, false);
  if (failed(scores))
    return failure();
  Operation *local = cloneWith(
      host.getBuilder(), op,
      {chain.back, idx->local, scores->local, dout->local},
      {chain.back.getType(), scores->local.getType()});
  chain.dBack = local->getResult(0);
  byValue[grad.getDexpertOut()] = &chain;
  // With etp = tp, d_scores = <d_out, expert_out> is a pending sum over tp
  // like expert_out (torchtitan #2416, case 2): moe.router_grad's operand
  // needs its reduction over tp, which the consumer's redistribution adds.
  if (chain.etp) {
    definePending(grad.getDscores(), chain, local->getResult(1));
    return success();
  }
  host.define(grad.getDscores(), Placed{chain.fold, local->getResult(1),
                                        host.kindsOf(chain.fold)});
  // The router's score gradient: this rank's folded tokens only; gathered
  // over tp so that moe.router_grad sees the scores' gradient of every
  // token the tp lanes share (the dense placement of the router).
  return unfold(grad.getDscores(), op, /*asPartial=*/false);
}

LogicalResult ExpertParallel::partitionExpertsGrad(Operation *op) {
  auto grad = cast<ExpertsGradOp>(op);
  Chain &chain = *lookup(grad.getSorted());
  if (lookup(grad.getDout()) != &chain || !chain.dBack || !chain.rows)
    return op->emitOpError()
           << "differentiates an expert-parallel moe.experts with an output "
              "gradient that is not its moe.combine_grad's";
  Location loc = op->getLoc();
  SmallVector<Value, 3> weights;
  SmallVector<Value, 3> globals = {grad.getWGate(), grad.getWUp(),
                                  grad.getWDown()};
  for (auto [w, p] : llvm::zip_equal(globals, chain.weights)) {
    FailureOr<Placed> local = host.getAs(w, p, op, false);
    if (failed(local))
      return failure();
    weights.push_back(local->local);
  }
  auto rowsType = cast<RankedTensorType>(chain.rows.getType());
  Value dRowsIn = allToAll(loc, chain.dBack, chain.send, chain.recv,
                           rowsType.getDimSize(0));
  SmallVector<Type> types = {rowsType};
  for (Value w : weights)
    types.push_back(w.getType());
  Operation *local = cloneWith(host.getBuilder(), op,
                               {chain.rows, chain.peerSizes, weights[0],
                                weights[1], weights[2], dRowsIn},
                               types);
  chain.dSorted =
      allToAll(loc, local->getResult(0), chain.recv, chain.send,
               cast<RankedTensorType>(chain.sorted.getType()).getDimSize(0));
  byValue[grad.getDsorted()] = &chain;

  // Weight gradients: split like their weights (by expert over ep, on F
  // over etp), summed over the rows this ep group exchanged: a pending sum
  // over edp (the optimizer's getAs reduces it over edp, never over dp, tp,
  // ep or etp).
  const View &view = host.getPlacementContext().getView(spmd::kExpertView);
  for (unsigned r = 1; r < 4; ++r) {
    TensorPlacement p = chain.weights[r - 1];
    Kinds kinds = host.kindsOf(p);
    if (std::optional<unsigned> edp = view.findAxis(kEdpAxis);
        edp && view.getAxisSize(*edp) > 1) {
      p.set(*edp, AxisPlacement::partial());
      kinds[*edp] = spmd::LocalTypeKind::Varying; // made here: a pending V
    }
    host.define(op->getResult(r), Placed{p, local->getResult(r), kinds});
  }
  return success();
}

LogicalResult ExpertParallel::partitionDispatchGrad(Operation *op) {
  auto grad = cast<DispatchGradOp>(op);
  Chain &chain = *lookup(grad.getDsorted());
  if (!chain.dSorted)
    return op->emitOpError() << "differentiates an expert-parallel "
                                "moe.dispatch before its moe.experts_grad";
  FailureOr<Placed> idx = host.getAs(grad.getIndices(), chain.fold, op, false);
  if (failed(idx))
    return failure();
  SmallVector<Value, 4> operands = {idx->local, chain.dSorted};
  SmallVector<Type, 2> types = {chain.foldedXType};
  if (grad.getScores()) {
    // Scores before the experts: the folded scores and tokens of the
    // forward dispatch give dx and this rank's tokens' score gradient.
    for (Value global : {grad.getScores(), grad.getX()}) {
      FailureOr<Placed> folded = host.getAs(global, chain.fold, op, false);
      if (failed(folded))
        return failure();
      operands.push_back(folded->local);
    }
    types.push_back(operands[2].getType());
  }
  Operation *local = cloneWith(host.getBuilder(), op, operands, types);
  // With etp = tp, d_sorted is a pending sum over tp (moe.experts_grad
  // contracts F), and so are dx and, scores before the experts, d_scores:
  // their consumers reduce them (the router's score gradient included).
  if (chain.etp) {
    definePending(grad.getDx(), chain, local->getResult(0));
    if (grad.getScores())
      definePending(grad.getDscores(), chain, local->getResult(1));
    return success();
  }
  host.define(grad.getDx(), Placed{chain.fold, local->getResult(0),
                                   host.kindsOf(chain.fold)});
  if (grad.getScores()) {
    host.define(grad.getDscores(), Placed{chain.fold, local->getResult(1),
                                          host.kindsOf(chain.fold)});
    // As in the combine_grad of the other order: gathered over tp, so that
    // moe.router_grad sees the score gradient of every token the tp lanes
    // share.
    if (failed(unfold(grad.getDscores(), op, /*asPartial=*/false)))
      return failure();
  }
  // The tokens' gradient joins the other pending sums over tp (the shared
  // expert's row-parallel dx) as one: zero-padded (no communication) and
  // reduced with them.
  return unfold(grad.getDx(), op, /*asPartial=*/true);
}

Operation *moefold::moe::partition::cloneWith(OpBuilder &builder,
                                              Operation *op,
                                              ValueRange operands,
                                              ArrayRef<Type> types) {
  IRMapping mapping;
  mapping.map(op->getOperands(), operands);
  Operation *clone = builder.clone(*op, mapping);
  for (auto [result, type] : llvm::zip(clone->getResults(), types))
    result.setType(type);
  clone->removeAttr(kPlacementsAttrName);
  return clone;
}
