//===- GradReduce.cpp - bucket the gradient reductions per family ---------===//
//
// Implements moe-grad-reduce: the per-tensor gradient all-reduces the
// partitioner derived from the local types become one collective per
// (family, collective) bucket (docs/partition.md, "Gradient buckets").
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/MoE/Transforms/Passes.h"

#include "moefold/Dialect/MoE/IR/MoEOps.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Dominance.h"

namespace moefold::moe {
#define GEN_PASS_DEF_MOEGRADREDUCEPASS
#include "moefold/Dialect/MoE/Transforms/Passes.h.inc"
} // namespace moefold::moe

using namespace mlir;
using namespace moefold;
using namespace moefold::moe;

namespace {

/// The gradient operand and the parameter of an optimizer update.
std::optional<std::pair<Value, Value>> updateOperands(Operation *op) {
  if (auto adamw = dyn_cast<AdamWStepOp>(op))
    return std::make_pair(adamw.getGrad(), adamw.getParam());
  if (auto sgd = dyn_cast<SGDStepOp>(op))
    return std::make_pair(sgd.getGrad(), sgd.getParam());
  return std::nullopt;
}

/// What must agree for two reductions to share one collective, plus the
/// family of the parameters they belong to.
std::string bucketKey(Family family, spmd::AllReduceOp op) {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << stringifyFamily(family) << "|" << op.getMesh() << "|" << op.getView()
     << "|" << op.getAxes() << "|" << static_cast<int>(op.getSrc()) << "|"
     << static_cast<int>(op.getDst()) << "|"
     << static_cast<int>(op.getReduction()) << "|"
     << cast<RankedTensorType>(op.getType()).getElementType();
  return key;
}

int64_t bytesOf(Type type) {
  auto t = cast<RankedTensorType>(type);
  return t.getNumElements() *
         ((t.getElementType().getIntOrFloatBitWidth() + 7) / 8);
}

struct MoEGradReducePass
    : moefold::moe::impl::MoEGradReducePassBase<MoEGradReducePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto func : module.getOps<func::FuncOp>())
      if (!func.isExternal())
        bucketFunction(module, func);
  }

  void bucketFunction(ModuleOp module, func::FuncOp func) {
    // The reductions feeding an optimizer update, grouped, in program order.
    SmallVector<std::pair<std::string, SmallVector<spmd::AllReduceOp>>> groups;
    llvm::SmallPtrSet<Operation *, 32> seen;
    func.walk([&](Operation *op) {
      std::optional<std::pair<Value, Value>> update = updateOperands(op);
      if (!update)
        return;
      auto reduce = update->first.getDefiningOp<spmd::AllReduceOp>();
      auto read = update->second.getDefiningOp<GetParamOp>();
      if (!reduce || !read || !seen.insert(reduce).second)
        return;
      auto param = module.lookupSymbol<ParamOp>(read.getName());
      if (!param)
        return;
      std::string key = bucketKey(param.getFamily(), reduce);
      auto it = llvm::find_if(groups, [&](auto &g) { return g.first == key; });
      if (it == groups.end()) {
        groups.push_back({key, {}});
        it = std::prev(groups.end());
      }
      it->second.push_back(reduce);
    });

    DominanceInfo dominance(func);
    for (auto &[key, reductions] : groups) {
      llvm::sort(reductions, [](spmd::AllReduceOp a, spmd::AllReduceOp b) {
        return a->isBeforeInBlock(b);
      });
      // Split by size, then emit each bucket before the first use of any of
      // its members' results; a member whose input is computed later keeps
      // its own reduction.
      SmallVector<SmallVector<spmd::AllReduceOp>> buckets(1);
      int64_t bytes = 0;
      for (spmd::AllReduceOp r : reductions) {
        int64_t b = bytesOf(r.getType());
        if (maxBucketBytes > 0 && !buckets.back().empty() &&
            bytes + b > maxBucketBytes) {
          buckets.emplace_back();
          bytes = 0;
        }
        buckets.back().push_back(r);
        bytes += b;
      }
      for (SmallVector<spmd::AllReduceOp> &bucket : buckets)
        emitBucket(bucket, dominance);
    }
  }

  void emitBucket(ArrayRef<spmd::AllReduceOp> candidates,
                  DominanceInfo &dominance) {
    if (candidates.size() < 2)
      return;
    // The first op that uses a member's result: the bucket goes right
    // before it (straight-line code; anything else keeps its reductions).
    Block *block = candidates.front()->getBlock();
    Operation *at = nullptr;
    for (spmd::AllReduceOp r : candidates)
      for (Operation *user : r->getUsers()) {
        if (user->getBlock() != block)
          return;
        if (!at || user->isBeforeInBlock(at))
          at = user;
      }
    if (!at)
      return;
    SmallVector<spmd::AllReduceOp> members;
    for (spmd::AllReduceOp r : candidates)
      if (dominance.properlyDominates(r.getInput(), at))
        members.push_back(r);
    if (members.size() < 2)
      return;

    spmd::AllReduceOp first = members.front();
    OpBuilder b(at);
    Location loc = b.getFusedLoc(llvm::map_to_vector(
        members, [](spmd::AllReduceOp r) { return r.getLoc(); }));
    int64_t total = 0;
    SmallVector<Value> inputs;
    SmallVector<Type> types;
    for (spmd::AllReduceOp r : members) {
      inputs.push_back(r.getInput());
      types.push_back(r.getType());
      total += cast<RankedTensorType>(r.getType()).getNumElements();
    }
    auto bucketType = RankedTensorType::get(
        {total}, cast<RankedTensorType>(first.getType()).getElementType());
    Value packed = PackOp::create(b, loc, bucketType, inputs);
    SmallVector<StringRef> axes =
        llvm::map_to_vector(first.getAxes(), [](Attribute a) {
          return cast<StringAttr>(a).getValue();
        });
    Value reduced = spmd::AllReduceOp::create(
        b, loc, packed, first.getMeshAttr(), first.getView(), axes,
        first.getSrc(), first.getDst(), first.getReduction());
    auto unpacked = UnpackOp::create(b, loc, types, reduced);
    for (auto [r, v] : llvm::zip(members, unpacked.getResults())) {
      r.getResult().replaceAllUsesWith(v);
      r.erase();
    }
  }
};

} // namespace
