//===- OpTypingRules.cpp - how compute ops propagate local types ----------===//
//
// The classification table of docs/spmd-types.md ("Op classification"),
// keyed by op name.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/SPMD/Analysis/OpTypingRules.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace moefold::spmd;

namespace {
enum class RuleId {
  None,
  NonLinear,
  Sum,
  Bilinear,
  Unary,
  Embedding,
  Dispatch,
  Combine,
  Experts,
  IndexedNonLinear,
  Quotient,
  InsertSlice,
};
} // namespace

std::optional<OpTypingRule> moefold::spmd::lookupOpTypingRule(Operation *op) {
  using R = OperandRole;
  RuleId id =
      llvm::StringSwitch<RuleId>(op->getName().getStringRef())
          // moe: the compute ops of per-rank programs.
          .Case("moe.add", RuleId::Sum)
          .Case("moe.linear", RuleId::Bilinear)
          .Case("moe.embedding", RuleId::Embedding)
          .Case("moe.dispatch", RuleId::Dispatch)
          .Case("moe.combine", RuleId::Combine)
          .Case("moe.experts", RuleId::Experts)
          .Cases({"moe.rms_norm", "moe.attention", "moe.swiglu", "moe.router",
                  "moe.shared_expert"},
                 RuleId::NonLinear)
          .Cases({"moe.cross_entropy", "moe.aux_loss"},
                 RuleId::IndexedNonLinear)
          // arith on float tensors (loss scaling, residual sums).
          .Cases({"arith.addf", "arith.subf"}, RuleId::Sum)
          .Case("arith.mulf", RuleId::Bilinear)
          .Case("arith.negf", RuleId::Unary)
          .Case("arith.divf", RuleId::Quotient)
          .Cases({"math.exp", "math.log", "math.sqrt", "math.rsqrt",
                  "math.tanh", "math.powf"},
                 RuleId::NonLinear)
          // tensor: shape-only ops are linear in their source.
          .Cases({"tensor.cast", "tensor.expand_shape", "tensor.collapse_shape",
                  "tensor.reshape", "tensor.extract_slice"},
                 RuleId::Unary)
          .Case("tensor.insert_slice", RuleId::InsertSlice)
          .Default(RuleId::None);

  switch (id) {
  case RuleId::None:
    return std::nullopt;
  case RuleId::NonLinear:
    return OpTypingRule{"non-linear", {}, R::NonLinear, {}};
  case RuleId::Sum:
    return OpTypingRule{"sum", {R::Sum, R::Sum}, R::Sum, {}};
  case RuleId::Bilinear:
    return OpTypingRule{"bilinear", {R::Factor, R::Factor}, R::Factor, {}};
  case RuleId::Unary:
    // The source; sizes, shapes and offsets are index data.
    return OpTypingRule{"linear", {R::Factor}, R::Index, {}};
  case RuleId::Embedding:
    // Gathers rows of the table: linear in the table.
    return OpTypingRule{"gather", {R::Factor, R::Index}, R::Index, {}};
  case RuleId::Dispatch:
    // sorted permutes copies of x (linear in x); group_sizes counts indices.
    return OpTypingRule{
        "permutation", {R::Factor, R::Index}, R::Index, {{0, 1}, {1}}};
  case RuleId::Combine:
    // sum_k scores[k] * row(k): bilinear in expert_out and scores.
    return OpTypingRule{
        "bilinear", {R::Factor, R::Index, R::Factor}, R::Index, {}};
  case RuleId::Experts:
    // Grouped SwiGLU: non-linear; group_sizes are counts.
    return OpTypingRule{
        "non-linear",
        {R::NonLinear, R::Index, R::NonLinear, R::NonLinear, R::NonLinear},
        R::NonLinear,
        {}};
  case RuleId::IndexedNonLinear:
    // A loss of float values at integer targets / selections.
    return OpTypingRule{"non-linear", {R::NonLinear, R::Index}, R::Index, {}};
  case RuleId::Quotient:
    // a / b is linear in a only.
    return OpTypingRule{
        "quotient", {R::Factor, R::NonLinear}, R::NonLinear, {}};
  case RuleId::InsertSlice:
    // Overwrites part of dest with source: a sum of disjoint parts.
    return OpTypingRule{"sum", {R::Sum, R::Sum}, R::Index, {}};
  }
  return std::nullopt;
}
