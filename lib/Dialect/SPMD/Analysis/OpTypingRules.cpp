//===- OpTypingRules.cpp - how compute ops propagate local types ----------===//
//
// The classification table of docs/spmd-types.md ("Op classification"),
// keyed by op name.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/SPMD/Analysis/OpTypingRules.h"
#include "moefold/Placement/MeshLayout.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Sequence.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace moefold::spmd;

/// The axis that splits a routed expert's hidden units F (expert tensor
/// parallelism): moe.experts contracts over it.
static constexpr llvm::StringLiteral kExpertFAxis = moefold::placement::kEtpAxis;

namespace {
/// Why an optimizer update needs its operands typed alike.
constexpr llvm::StringLiteral kUpdateReason =
    "an element-wise update needs the gradient and the optimizer moments "
    "distributed like the parameter";

enum class RuleId {
  None,
  NonLinear,
  Sum,
  Bilinear,
  Linear,
  Unary,
  Embedding,
  Dispatch,
  Combine,
  Experts,
  SharedExpert,
  IndexedNonLinear,
  Quotient,
  InsertSlice,
  Pack,
  // Gradient ops (docs/autodiff.md): linear in the incoming gradient,
  // possibly non-linear in the saved forward values.
  EmbeddingGrad,
  RMSNormGrad,
  LinearGrad,
  AttentionGrad,
  SwiGLUGrad,
  RouterGrad,
  DispatchGrad,
  ExpertsGrad,
  CombineGrad,
  SharedExpertGrad,
  LossGrad,
  // Vocab-parallel cross-entropy (docs/partition.md).
  VocabStat,
  VocabTargetLogit,
  VocabCrossEntropy,
  VocabCrossEntropyGrad,
  // The optimizer step.
  GlobalNorm,
  SGDStep,
  AdamWStep,
};
} // namespace

std::optional<OpTypingRule> moefold::spmd::lookupOpTypingRule(Operation *op) {
  using R = OperandRole;
  RuleId id =
      llvm::StringSwitch<RuleId>(op->getName().getStringRef())
          // moe: the compute ops of per-rank programs.
          .Case("moe.add", RuleId::Sum)
          .Case("moe.linear", RuleId::Linear)
          .Case("moe.embedding", RuleId::Embedding)
          .Case("moe.dispatch", RuleId::Dispatch)
          .Case("moe.combine", RuleId::Combine)
          .Case("moe.experts", RuleId::Experts)
          // Sums blocks of a count vector: integer data, typed as it is.
          .Case("moe.peer_counts", RuleId::Unary)
          .Case("moe.shared_expert", RuleId::SharedExpert)
          .Cases({"moe.rms_norm", "moe.attention", "moe.swiglu", "moe.router"},
                 RuleId::NonLinear)
          .Cases({"moe.cross_entropy", "moe.aux_loss"},
                 RuleId::IndexedNonLinear)
          // moe: gradients.
          .Case("moe.embedding_grad", RuleId::EmbeddingGrad)
          .Case("moe.rms_norm_grad", RuleId::RMSNormGrad)
          .Case("moe.linear_grad", RuleId::LinearGrad)
          .Case("moe.attention_grad", RuleId::AttentionGrad)
          .Case("moe.swiglu_grad", RuleId::SwiGLUGrad)
          .Case("moe.router_grad", RuleId::RouterGrad)
          .Case("moe.dispatch_grad", RuleId::DispatchGrad)
          .Case("moe.experts_grad", RuleId::ExpertsGrad)
          .Case("moe.combine_grad", RuleId::CombineGrad)
          .Case("moe.shared_expert_grad", RuleId::SharedExpertGrad)
          .Cases({"moe.cross_entropy_grad", "moe.aux_loss_grad"},
                 RuleId::LossGrad)
          .Cases({"moe.vocab_max", "moe.vocab_sumexp"}, RuleId::VocabStat)
          .Case("moe.vocab_target_logit", RuleId::VocabTargetLogit)
          .Case("moe.vocab_cross_entropy", RuleId::VocabCrossEntropy)
          .Case("moe.vocab_cross_entropy_grad",
                RuleId::VocabCrossEntropyGrad)
          // moe: the optimizer step.
          .Case("moe.global_norm", RuleId::GlobalNorm)
          .Case("moe.clip_scale", RuleId::NonLinear)
          .Case("moe.sgd_step", RuleId::SGDStep)
          .Case("moe.adamw_step", RuleId::AdamWStep)
          // moe: gradient buckets (moe-grad-reduce). Packing is linear in
          // every operand and needs them typed alike, as a sum does;
          // unpacking is a reshape of its source.
          .Case("moe.pack", RuleId::Pack)
          .Case("moe.unpack", RuleId::Unary)
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
  case RuleId::Pack:
    return OpTypingRule{"concatenation", {}, R::Sum, {}};
  case RuleId::Bilinear:
    return OpTypingRule{"bilinear", {R::Factor, R::Factor}, R::Factor, {}};
  case RuleId::Linear: {
    // x [..., K] @ weight [K, N]: contracts K, so x and weight both split
    // on an axis (a row-parallel matmul) give this rank's share of a sum.
    OpTypingRule rule{"bilinear", {R::Factor, R::Factor}, R::Factor, {}};
    rule.contractions = {{{0}, {1}}};
    return rule;
  }
  case RuleId::Unary:
    // The source; sizes, shapes and offsets are index data.
    return OpTypingRule{"linear", {R::Factor}, R::Index, {}};
  case RuleId::Embedding:
    // Gathers rows of the table: linear in the table.
    return OpTypingRule{"gather", {R::Factor, R::Index}, R::Index, {}};
  case RuleId::Dispatch: {
    // sorted permutes copies of x (linear in x); group_sizes counts indices.
    // With scores (applied before the experts) sorted = scores * x is
    // bilinear in (x, scores): I scores cannot scale V tokens unconverted.
    bool scaled = op->getNumOperands() == 3;
    OpTypingRule rule =
        scaled ? OpTypingRule{"bilinear",
                              {R::Factor, R::Index, R::Factor},
                              R::Index,
                              {{0, 1, 2}, {1}}}
               : OpTypingRule{
                     "permutation", {R::Factor, R::Index}, R::Index,
                     {{0, 1}, {1}}};
    // Over this rank's tokens the counts are this rank's own (what
    // moe.experts takes) and a share of the global counts: not a shard.
    rule.contractions = {{}, {{1}, {1}, {}, /*ambiguous=*/true}};
    return rule;
  }
  case RuleId::Combine:
    // sum_k scores[k] * row(k): bilinear in expert_out and scores; without
    // scores (applied before the experts) a sum of rows, linear.
    if (op->getNumOperands() == 2)
      return OpTypingRule{"gather", {R::Factor, R::Index}, R::Index, {}};
    return OpTypingRule{
        "bilinear", {R::Factor, R::Index, R::Factor}, R::Index, {}};
  case RuleId::Experts:
    // Grouped SwiGLU: non-linear; group_sizes are counts. The down
    // projection contracts the hidden units F: expert weights split on etp
    // are split on F (a pending sum over etp, like moe.shared_expert's over
    // tp); on other axes they may be split by expert (ep), so the
    // contraction is ambiguous there.
    return OpTypingRule{
        "non-linear",
        {R::NonLinear, R::Index, R::NonLinear, R::NonLinear, R::NonLinear},
        R::NonLinear,
        {},
        {},
        {{{2, 3}, {4}, {}, /*ambiguous=*/true, kExpertFAxis}}};
  case RuleId::SharedExpert: {
    // SwiGLU MLP (x, w_gate, w_up, w_down [, gate]): non-linear; the down
    // projection contracts F (the Megatron MLP's row-parallel half).
    OpTypingRule rule{"non-linear", {}, R::NonLinear, {}};
    rule.contractions = {{{1, 2}, {3}}};
    return rule;
  }
  case RuleId::IndexedNonLinear: {
    // A loss of float values at integer targets / selections.
    OpTypingRule rule{"non-linear", {R::NonLinear, R::Index}, R::Index, {}};
    // The cross-entropy is a mean over the tokens: over this rank's tokens
    // it is its share of the global mean. (The load-balancing loss is not a
    // sum over tokens; moe-partition gathers its operands first.)
    if (op->getName().getStringRef() == "moe.cross_entropy")
      rule.contractions = {{{0}, {1}}};
    return rule;
  }
  case RuleId::Quotient:
    // a / b is linear in a only.
    return OpTypingRule{
        "quotient", {R::Factor, R::NonLinear}, R::NonLinear, {}};
  case RuleId::InsertSlice:
    // Overwrites part of dest with source: a sum of disjoint parts.
    return OpTypingRule{"sum", {R::Sum, R::Sum}, R::Index, {}};

  // -- Gradient ops ------------------------------------------------------
  // A VJP is linear in the incoming gradient; each result is listed with
  // the operands it depends on, so a result independent of an operand does
  // not take its type (dweight = x^T dout does not see the weight).
  case RuleId::EmbeddingGrad: {
    // dtable = scatter-add of the rows of dout by token id: linear in dout.
    // Sums over the tokens.
    OpTypingRule rule{"scatter-add", {R::Index, R::Factor}, R::Index, {}};
    rule.contractions = {{{0}, {1}}};
    return rule;
  }
  case RuleId::RMSNormGrad:
    // (x, weight, dout) -> dx, dweight. dx = (weight * dout) / rms(x) - ...:
    // bilinear in (weight, dout), non-linear in x; dweight =
    // sum_tokens dout * x / rms(x): linear in dout, independent of weight,
    // and a sum over the tokens.
    return OpTypingRule{"multilinear",
                        {R::NonLinear, R::Factor, R::Factor},
                        R::NonLinear,
                        {{0, 1, 2}, {0, 2}},
                        {},
                        {{}, {{0}, {2}}}};
  case RuleId::LinearGrad:
    // (x, weight, dout) -> dx = dout weight^T (bilinear in weight, dout,
    // contracts N), dweight = x^T dout (bilinear in x, dout, contracts the
    // tokens).
    return OpTypingRule{"bilinear",   {R::Factor, R::Factor, R::Factor},
                        R::NonLinear, {{1, 2}, {0, 2}},
                        {},           {{{1}, {2}}, {{0}, {2}}}};
  case RuleId::AttentionGrad:
    // (q, k, v, dout) -> dq, dk, dv. The probabilities are non-linear in q
    // and k; dq and dk are bilinear in (v, dout) through dP = dout v^T;
    // dv = P^T dout is linear in dout and independent of v.
    //
    // With q/k norm weights (operands 4, 5; non-linear, the trailing role)
    // every result depends on them too, and dq_norm, dk_norm (results 3,
    // 4) sum over the tokens and the heads: the contractions say so (a
    // pending sum where q and dout, or k and dout, are split on an axis).
    if (op->getNumOperands() > 4)
      return OpTypingRule{"multilinear",
                          {R::NonLinear, R::NonLinear, R::Factor, R::Factor},
                          R::NonLinear,
                          {{0, 1, 2, 3, 4, 5},
                           {0, 1, 2, 3, 4, 5},
                           {0, 1, 3, 4, 5},
                           {0, 1, 2, 3, 4, 5},
                           {0, 1, 2, 3, 4, 5}},
                          {},
                          {{}, {}, {}, {{0}, {3}}, {{1}, {3}}}};
    return OpTypingRule{"multilinear",
                        {R::NonLinear, R::NonLinear, R::Factor, R::Factor},
                        R::NonLinear,
                        {{0, 1, 2, 3}, {0, 1, 2, 3}, {0, 1, 3}}};
  case RuleId::SwiGLUGrad:
    // (gate, up, dout) -> dgate = dout * up * silu'(gate) (bilinear in up,
    // dout), dup = dout * silu(gate) (linear in dout).
    return OpTypingRule{"multilinear",
                        {R::NonLinear, R::Factor, R::Factor},
                        R::NonLinear,
                        {{0, 1, 2}, {0, 2}}};
  case RuleId::RouterGrad:
    // (x, weight, probs, indices, dscores, dprobs) -> dx, dweight. The
    // logits' gradient is the softmax VJP at probs (non-linear) of dprobs
    // plus the scattered dscores: linear in (dscores, dprobs) jointly, one
    // sum. dx = dlogits weight^T (contracts the experts), dweight =
    // x^T dlogits (contracts the tokens).
    return OpTypingRule{
        "multilinear",
        {R::Factor, R::Factor, R::NonLinear, R::Index, R::Sum, R::Sum},
        R::NonLinear,
        {{1, 2, 3, 4, 5}, {0, 2, 3, 4, 5}},
        {},
        {{{1}, {4, 5}}, {{0}, {4, 5}}}};
  case RuleId::DispatchGrad:
    // (indices, dsorted) -> dx: sums the copies of each token, linear.
    if (op->getNumOperands() == 2)
      return OpTypingRule{"gather", {R::Index, R::Factor}, R::Index, {}};
    // (indices, dsorted, scores, x) -> dx = sum_k scores * dsorted
    // (bilinear, independent of x), dscores = <dsorted, x> (bilinear,
    // independent of scores).
    return OpTypingRule{"bilinear",
                        {R::Index, R::Factor, R::Factor, R::Factor},
                        R::NonLinear,
                        {{0, 1, 2}, {0, 1, 3}}};
  case RuleId::ExpertsGrad:
    // (sorted, group_sizes, w_gate, w_up, w_down, dout) -> dsorted,
    // dw_gate, dw_up, dw_down of y = (silu(x w_gate) * (x w_up)) w_down:
    // non-linear in x and w_gate; multilinear in (w_up, w_down, dout),
    // except that dw_up does not depend on w_up nor dw_down on w_down.
    // The weight gradients sum over the rows: a pending sum over an axis
    // that splits the rows, unless it also splits the experts (then this
    // rank holds every row of its experts: any expert weight the result
    // depends on is split there). dsorted contracts the hidden
    // units F: a pending sum over etp (which splits F); on other axes the
    // weights may be split by expert (ep), so it is ambiguous there.
    return OpTypingRule{
        "multilinear",
        {R::NonLinear, R::Index, R::NonLinear, R::Factor, R::Factor, R::Factor},
        R::NonLinear,
        {{0, 1, 2, 3, 4, 5},
         {0, 1, 2, 3, 4, 5},
         {0, 1, 2, 4, 5},
         {0, 1, 2, 3, 5}},
        {},
        {{{2, 3}, {4}, {}, /*ambiguous=*/true, kExpertFAxis},
         {{0}, {5}, {2, 3, 4}},
         {{0}, {5}, {2, 3, 4}},
         {{0}, {5}, {2, 3, 4}}}};
  case RuleId::CombineGrad:
    // Unweighted: (expert_out, indices, dout) -> dexpert_out = dout at each
    // copy's row, linear in dout and independent of expert_out.
    if (op->getNumOperands() == 3)
      return OpTypingRule{"gather",
                          {R::Factor, R::Index, R::Factor},
                          R::NonLinear,
                          {{1, 2}}};
    // (expert_out, indices, scores, dout) -> dexpert_out = scores * dout
    // (bilinear, independent of expert_out), dscores = <dout, expert_out>
    // (bilinear, independent of scores).
    return OpTypingRule{"bilinear",
                        {R::Factor, R::Index, R::Factor, R::Factor},
                        R::NonLinear,
                        {{1, 2, 3}, {0, 1, 3}}};
  case RuleId::SharedExpertGrad: {
    // (x, w_gate, w_up, w_down [, gate], dout) -> dx, dw_gate, dw_up,
    // dw_down [, dgate]: as moe.experts_grad; the optional sigmoid gate is
    // non-linear.
    bool gated = op->getNumOperands() == 6;
    SmallVector<OperandRole, 4> roles = {R::NonLinear, R::NonLinear, R::Factor,
                                         R::Factor};
    if (gated)
      roles.push_back(R::NonLinear);
    roles.push_back(R::Factor);
    SmallVector<unsigned, 6> all =
        llvm::to_vector<6>(llvm::seq<unsigned>(0, op->getNumOperands()));
    SmallVector<unsigned, 6> noUp, noDown;
    for (unsigned i : all) {
      if (i != 2)
        noUp.push_back(i);
      if (i != 3)
        noDown.push_back(i);
    }
    OpTypingRule rule{"multilinear", roles, R::NonLinear, {}};
    rule.resultOperands = {all, all, noUp, noDown};
    // dx contracts the hidden units F; the weight gradients the tokens.
    unsigned dout = op->getNumOperands() - 1;
    OpTypingRule::Contraction overF{{1, 2}, {3}}, overTokens{{0}, {dout}};
    rule.contractions = {overF, overTokens, overTokens, overTokens};
    if (gated) {
      // dgate = sum over tokens of x * sigmoid'(x @ gate) * <dout, mlp(x)>,
      // and mlp(x) sums over F: split tokens (x with dout) or split hidden
      // units (w_gate / w_up with w_down) both leave a share of the sum.
      rule.resultOperands.push_back(all);
      rule.contractions.push_back(
          OpTypingRule::Contraction{{0, 1, 2}, {3, dout}, {}});
    }
    return rule;
  }
  case RuleId::LossGrad:
    // (logits or probs, targets or indices, dloss) -> a gradient that is
    // non-linear in the forward values and linear in dloss.
    return OpTypingRule{
        "multilinear", {R::NonLinear, R::Index, R::Factor}, R::Index, {}};

  // -- Vocab-parallel cross-entropy ---------------------------------------
  // The logits' vocabulary shard is identified by the offset operand: it is
  // V exactly on the axes that split the vocabulary (a slice of the
  // shards' offsets), so a statistic over the shard is this rank's share of
  // a reduction over those axes (pending), and over the axes that split
  // the batch (where the offset is R) a shard of per-token values. The
  // reduced max enters every later op as index data, a stop-gradient: the
  // loss log(sum exp(l - m)) + m does not depend on the shift m, so no
  // gradient flows into it whatever the reduction that made it.
  case RuleId::VocabStat: {
    // (logits, offset [, max]) -> per-token max or sum of exp(l - max).
    OpTypingRule rule{
        "reduction", {R::NonLinear, R::Index, R::Index}, R::Index, {}};
    rule.contractions = {{{0}, {1}}};
    return rule;
  }
  case RuleId::VocabTargetLogit: {
    // (logits, offset, targets) -> the target's logit where this shard
    // holds it: a selection, linear in the logits.
    OpTypingRule rule{
        "gather", {R::Factor, R::Index, R::Index}, R::Index, {}};
    rule.contractions = {{{0}, {1}}};
    return rule;
  }
  case RuleId::VocabCrossEntropy: {
    // (max, sumexp, target_logit) -> sum over the tokens of log(sumexp) +
    // max - target_logit: over this rank's tokens its share of the mean.
    OpTypingRule rule{"non-linear",
                      {R::Index, R::NonLinear, R::NonLinear},
                      R::NonLinear,
                      {}};
    rule.contractions = {{{1}, {2}}};
    return rule;
  }
  case RuleId::VocabCrossEntropyGrad:
    // (logits, offset, targets, max, sumexp, dloss) -> this shard's columns
    // of dlogits: non-linear in the logits and sumexp, linear in dloss.
    return OpTypingRule{"multilinear",
                        {R::NonLinear, R::Index, R::Index, R::Index,
                         R::NonLinear, R::Factor},
                        R::Index,
                        {}};

  // -- The optimizer step ------------------------------------------------
  case RuleId::GlobalNorm: {
    // sqrt(sum of squares) of every gradient: non-linear, and a norm of
    // gradients typed differently on an axis counts some elements once and
    // others once per rank after any reduction of it.
    OpTypingRule rule{"non-linear", {}, R::Uniform, {}};
    rule.opaque = true;
    rule.uniformReason =
        "a norm must count every element once: take one norm per group of "
        "gradients typed alike and sum each group's squares over exactly the "
        "axes where it is V";
    return rule;
  }
  case RuleId::SGDStep: {
    // (param, grad, scale, lr, apply) -> new_param, element for element.
    OpTypingRule rule{"non-linear",
                      {R::Uniform, R::Uniform, R::Scalar, R::Scalar, R::Scalar},
                      R::Scalar,
                      {}};
    rule.uniformReason = kUpdateReason;
    rule.isUpdate = true;
    return rule;
  }
  case RuleId::AdamWStep: {
    // (param, grad, m, v, scale, lr, step, apply) -> new_param, new_m, new_v.
    OpTypingRule rule{"non-linear",
                      {R::Uniform, R::Uniform, R::Uniform, R::Uniform,
                       R::Scalar, R::Scalar, R::Scalar, R::Scalar},
                      R::Scalar,
                      {}};
    rule.uniformReason = kUpdateReason;
    rule.isUpdate = true;
    return rule;
  }
  }
  return std::nullopt;
}

std::optional<StorageAccess> moefold::spmd::lookupStorageAccess(Operation *op) {
  StringRef name = op->getName().getStringRef();
  bool isParam = name == "moe.get_param" || name == "moe.set_param";
  bool isState = name == "moe.get_state" || name == "moe.set_state";
  if (!isParam && !isState)
    return std::nullopt;
  auto symbol = op->getAttrOfType<FlatSymbolRefAttr>("name");
  if (!symbol)
    return std::nullopt;
  StorageAccess access;
  access.symbol = symbol;
  access.isParam = isParam;
  if (name.starts_with("moe.set_") && op->getNumOperands() == 1)
    access.written = op->getOperand(0);
  return access;
}

Attribute moefold::spmd::getDeclaredPlacement(Operation *declaration) {
  if (Attribute placement = declaration->getAttr("global_placement"))
    return placement;
  return declaration->getAttr("placement");
}
