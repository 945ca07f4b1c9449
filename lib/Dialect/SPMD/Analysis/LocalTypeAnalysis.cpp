//===- LocalTypeAnalysis.cpp - local SPMD types of a per-rank program -----===//
//
// Forward inference of local SPMD types (R / I / V / P per mesh axis) over
// one function, checking the rules of docs/spmd-types.md as it goes. The
// function is walked once in program order (scf.for / scf.if bodies
// included); every value gets a ValueLocalType, every violation one located
// error with notes at the origins of the conflicting types.
//
// Axes of the other view. A value is typed per (mesh, view, axis). When an
// op needs a value's type on an axis of a view the value is not typed on at
// all, the type is derived from the view it is fully typed on through the
// mesh's rank layout: the axis' groups cross some axes of that view; if they
// are all V, or all I, the derived type is V, or I; if they are all R (or all
// P) and the groups coincide, R (or P); otherwise the value has no single
// type on the axis, which is an error where it matters. Size-1 axes never
// constrain anything.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/SPMD/Analysis/LocalTypeAnalysis.h"

#include "moefold/Dialect/SPMD/Analysis/OpTypingRules.h"
#include "moefold/Dialect/SPMD/IR/MeshLayoutBridge.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"
#include "moefold/Placement/MeshLayout.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <optional>
#include <tuple>

using namespace mlir;
using namespace moefold;
using namespace moefold::spmd;

using Kind = LocalTypeKind;
using State = ValueLocalType::State;

static StringRef str(Kind kind) { return stringifyLocalTypeKind(kind); }

const AxisTypeEntry *ValueLocalType::lookup(const TypedAxis &axis) const {
  for (const AxisTypeEntry &entry : entries)
    if (entry.axis == axis)
      return &entry;
  return nullptr;
}

namespace {

/// A mesh the program refers to, with its rank layout.
struct MeshInfo {
  MeshOp op;
  std::optional<placement::MeshLayout> layout;
};

/// The type of one operand on one axis, as far as it can be known.
struct OperandKind {
  enum Status {
    /// Typed (explicitly or derived from the other view): `kind`, `origin`.
    Have,
    /// The axis has size 1: every type is the same there.
    Trivial,
    /// Not typed on this axis, and nothing to derive a type from.
    Untyped,
    /// Fully typed on another view, which gives it no single type here;
    /// `detail` says why.
    Mixed,
  };
  Status status = Untyped;
  Kind kind = Kind::Replicate;
  /// V that is a pending sum (AxisTypeEntry::pending).
  bool pending = false;
  /// V known to be a shard (AxisTypeEntry::shard).
  bool shard = false;
  std::optional<Location> origin;
  std::string detail;
};

/// One operand of a compute op as seen on one axis.
struct Participant {
  unsigned index;
  Value value;
  OperandRole role;
  /// A constant: no kind, same on every rank, no gradient.
  bool isConstant = false;
  /// A constant, or integer data typed R or I: combines like a scalar.
  bool neutral = false;
  /// A constant zero: a valid partial sum (summing zeros gives zero).
  bool isZero = false;
  /// The kind the rules use: a pending V takes part as P, with `pending`
  /// set so that diagnostics spell it as it is typed.
  Kind kind = Kind::Replicate;
  bool pending = false;
  bool shard = false;
  std::optional<Location> origin;
};

/// A constant whose every element is zero (a splat zero, or a linalg.fill
/// with zero): in a sum it is compatible with P.
bool isZeroConstant(Value value) {
  if (matchPattern(value, m_AnyZeroFloat()) || matchPattern(value, m_Zero()))
    return true;
  Operation *def = value.getDefiningOp();
  if (!def)
    return false;
  // moe.fill 0.0: an absent gradient.
  if (def->getName().getStringRef() == "moe.fill") {
    auto fillValue = def->getAttrOfType<FloatAttr>("value");
    return fillValue && fillValue.getValue().isZero();
  }
  return def->getName().getStringRef() == "linalg.fill" &&
         def->getNumOperands() > 0 && isZeroConstant(def->getOperand(0));
}

bool isIntegerData(Type type) {
  Type element = getElementTypeOrSelf(type);
  return isa<IntegerType, IndexType>(element);
}

} // namespace

//===----------------------------------------------------------------------===//
// Impl
//===----------------------------------------------------------------------===//

struct LocalTypeAnalysis::Impl {
  explicit Impl(FunctionOpInterface func) : func(func) {}

  FunctionOpInterface func;
  SymbolTableCollection symbolTable;
  DenseMap<Value, ValueLocalType> types;
  /// Why an Unknown value is untyped, and where it is defined.
  DenseMap<Value, std::string> unknownReasons;
  /// Null for a symbol that is not a valid spmd.mesh. Boxed so pointers
  /// stay valid while the map grows.
  DenseMap<StringAttr, std::unique_ptr<MeshInfo>> meshes;
  std::unique_ptr<AsmState> asmState;
  std::map<std::tuple<const void *, std::string, std::string, unsigned>,
           SmallVector<bool>>
      crossedCache;
  bool hadError = false;
  /// The module's only mesh (declarations without a placement are typed on
  /// it), computed on first use.
  MeshOp onlyMesh;
  bool onlyMeshComputed = false;
  /// The `spmd.local` of the first read of each declaration that carries
  /// one (in program order).
  DenseMap<StringAttr, SmallVector<AxisTypeEntry>> annotatedReads;

  // -- Helpers -------------------------------------------------------------

  MLIRContext *getContext() { return func->getContext(); }

  /// `%name` as the printer would write it (NameLocs become the name).
  std::string name(Value value) {
    if (!asmState)
      asmState = std::make_unique<AsmState>(
          func, OpPrintingFlags().printNameLocAsPrefix(true));
    std::string text;
    llvm::raw_string_ostream os(text);
    value.printAsOperand(os, *asmState);
    return text;
  }

  /// "operand #1 (%x)".
  std::string operandName(unsigned index, Value value) {
    return "operand #" + std::to_string(index) + " (" + name(value) + ")";
  }

  /// "axis tp of @mesh[dense]".
  static std::string axisName(const TypedAxis &axis) {
    return ("axis " + axis.axis.getValue() + " of @" + axis.mesh.getValue() +
            "[" + axis.view.getValue() + "]")
        .str();
  }

  MeshInfo *getMesh(StringAttr meshName) {
    auto [it, inserted] = meshes.try_emplace(meshName);
    if (inserted) {
      Operation *symbol = symbolTable.lookupNearestSymbolFrom(
          func, FlatSymbolRefAttr::get(meshName));
      auto mesh = dyn_cast_or_null<MeshOp>(symbol);
      if (mesh && mesh.isValid()) {
        auto info = std::make_unique<MeshInfo>();
        info->op = mesh;
        FailureOr<placement::MeshLayout> layout = getMeshLayout(mesh);
        if (succeeded(layout))
          info->layout.emplace(std::move(*layout));
        it->second = std::move(info);
      }
    }
    return it->second.get();
  }

  std::optional<int64_t> getAxisSize(const TypedAxis &axis) {
    MeshInfo *mesh = getMesh(axis.mesh);
    if (!mesh)
      return std::nullopt;
    return mesh->op.getAxisSize(axis.view.getValue(), axis.axis.getValue());
  }

  /// Sort key: mesh name, view (dense first), axis in view order.
  std::tuple<StringRef, unsigned, unsigned> orderKey(const TypedAxis &axis) {
    unsigned viewIndex = axis.view.getValue() == kDenseView ? 0 : 1;
    unsigned axisIndex = 0;
    if (MeshInfo *mesh = getMesh(axis.mesh)) {
      for (auto [i, entry] :
           llvm::enumerate(mesh->op.getViewAxes(axis.view.getValue())))
        if (entry.first == axis.axis.getValue())
          axisIndex = i;
    }
    return {axis.mesh.getValue(), viewIndex, axisIndex};
  }

  void sortEntries(SmallVectorImpl<AxisTypeEntry> &entries) {
    llvm::stable_sort(entries,
                      [&](const AxisTypeEntry &a, const AxisTypeEntry &b) {
                        return orderKey(a.axis) < orderKey(b.axis);
                      });
  }

  /// The axes of `view` of the mesh `meshName`, in view order.
  SmallVector<TypedAxis> getViewAxes(StringAttr meshName, StringAttr view) {
    SmallVector<TypedAxis> axes;
    if (MeshInfo *mesh = getMesh(meshName))
      for (auto [axis, size] : mesh->op.getViewAxes(view.getValue()))
        axes.push_back({meshName, view, StringAttr::get(getContext(), axis)});
    return axes;
  }

  /// Checks that `attr` names an spmd.mesh; `what` says where it sits.
  LogicalResult checkLocalTypeAttr(LocalTypeAttr attr, Location loc,
                                   const Twine &what) {
    StringAttr meshName = attr.getMesh().getAttr();
    if (getMesh(meshName))
      return success();
    Operation *symbol =
        symbolTable.lookupNearestSymbolFrom(func, attr.getMesh());
    InFlightDiagnostic diag = emitError(loc) << what << " refers to ";
    if (!symbol)
      diag << "unknown mesh " << attr.getMesh();
    else
      diag << attr.getMesh() << ", which is not a valid spmd.mesh";
    hadError = true;
    return failure();
  }

  /// The entries of one or more `#spmd.local` (an annotation), or failure
  /// after a diagnostic.
  FailureOr<SmallVector<AxisTypeEntry>>
  parseAnnotation(Attribute attr, Location loc, const Twine &what) {
    SmallVector<LocalTypeAttr> locals;
    if (auto local = dyn_cast<LocalTypeAttr>(attr)) {
      locals.push_back(local);
    } else if (auto array = dyn_cast<ArrayAttr>(attr)) {
      for (Attribute element : array) {
        auto local = dyn_cast<LocalTypeAttr>(element);
        if (!local) {
          locals.clear();
          break;
        }
        locals.push_back(local);
      }
      if (locals.empty())
        attr = {};
    } else {
      attr = {};
    }
    if (!attr) {
      emitError(loc) << what << ": '" << kLocalTypeAttrName
                     << "' must be a #spmd.local attribute or a non-empty "
                        "array of them";
      hadError = true;
      return failure();
    }
    SmallVector<AxisTypeEntry> entries;
    for (LocalTypeAttr local : locals) {
      if (failed(checkLocalTypeAttr(local, loc, what)))
        return failure();
      for (auto [axis, kind] : llvm::zip(local.getAxes(), local.getKinds())) {
        TypedAxis key{local.getMesh().getAttr(), local.getView(), axis};
        if (llvm::any_of(entries, [&](const AxisTypeEntry &e) {
              return e.axis == key;
            })) {
          emitError(loc) << what << " types " << axisName(key) << " twice";
          hadError = true;
          return failure();
        }
        entries.push_back({key, kind, loc});
      }
    }
    sortEntries(entries);
    return entries;
  }

  ValueLocalType &getType(Value value) {
    auto it = types.find(value);
    if (it != types.end())
      return it->second;
    // A value defined outside what the walk has seen (e.g. captured from an
    // enclosing region the checker does not model).
    ValueLocalType unknown;
    unknown.state = State::Unknown;
    unknownReasons[value] = "it is defined outside the checked function";
    return types[value] = unknown;
  }

  void setType(Value value, ValueLocalType type) {
    types[value] = std::move(type);
  }

  void poison(Operation *op) {
    for (Value result : op->getResults()) {
      ValueLocalType type;
      type.state = State::Poisoned;
      setType(result, type);
    }
  }

  /// Reports the first use of an untyped value; later uses stay quiet.
  void reportUnknown(Operation *user, const Twine &what, Value value) {
    InFlightDiagnostic diag =
        user->emitOpError()
        << what << " has no local type: " << unknownReasons.lookup(value);
    diag.attachNote(value.getLoc()) << name(value) << " is defined here";
    hadError = true;
    types[value].state = State::Poisoned;
  }

  void noteOrigin(InFlightDiagnostic &diag, std::optional<Location> origin,
                  Kind kind, const TypedAxis &axis, bool pending = false) {
    if (!origin)
      return;
    if (pending)
      diag.attachNote(*origin)
          << "pending sum over " << axisName(axis)
          << " (typed V) made here: the op contracts operands split on "
          << axis.axis.getValue();
    else
      diag.attachNote(*origin) << "type " << str(kind) << " on "
                               << axisName(axis) << " comes from here";
  }

  /// How a participant's type is spelled: "P", "V", or "V (a pending sum)".
  static std::string kindText(const Participant &p) {
    return p.pending ? "V (a pending sum)" : str(p.kind).str();
  }
  /// The collective that reduces a participant: all_reduce P -> R, or
  /// V -> R for a pending V.
  static StringRef reduceText(const Participant &p) {
    return p.pending ? "spmd.all_reduce V -> R" : "spmd.all_reduce P -> R";
  }

  // -- Types on axes -------------------------------------------------------

  /// The type of `type` on `axis`: explicit, derived from a view the value is
  /// fully typed on, trivial (size-1 axis) or unknown.
  OperandKind getKind(const ValueLocalType &type, const TypedAxis &axis) {
    OperandKind result;
    if (const AxisTypeEntry *entry = type.lookup(axis)) {
      result.status = OperandKind::Have;
      result.kind = entry->kind;
      result.pending = entry->pending;
      result.shard = entry->shard;
      result.origin = entry->origin;
      return result;
    }
    std::optional<int64_t> size = getAxisSize(axis);
    OperandKind fallback;
    if (size && *size == 1)
      fallback.status = OperandKind::Trivial;
    // A size-1 axis carries no type: not derived from the other view either
    // (rows exchanged over ep are V on every dense axis, which would make
    // them V on etp = 1, and an expert weight gradient over them a
    // meaningless pending sum there).
    if (fallback.status == OperandKind::Trivial)
      return fallback;
    // Typed on this view, just not on this axis: the program chose not to
    // type it there.
    if (llvm::any_of(type.entries, [&](const AxisTypeEntry &e) {
          return e.axis.mesh == axis.mesh && e.axis.view == axis.view;
        }))
      return fallback;
    MeshInfo *mesh = getMesh(axis.mesh);
    if (!mesh || !mesh->layout)
      return fallback;
    for (StringRef otherViewName : {kDenseView, kExpertView}) {
      if (otherViewName == axis.view.getValue())
        continue;
      // Typed on every axis of the other view (size-1 axes may be left out).
      StringAttr otherView = StringAttr::get(getContext(), otherViewName);
      SmallVector<const AxisTypeEntry *> full;
      bool complete = true;
      for (const TypedAxis &other : getViewAxes(axis.mesh, otherView)) {
        if (const AxisTypeEntry *entry = type.lookup(other))
          full.push_back(entry);
        else if (getAxisSize(other).value_or(0) != 1)
          complete = false;
      }
      if (full.empty() || !complete)
        continue;
      OperandKind derived = deriveKind(*mesh, full, axis);
      if (derived.status == OperandKind::Untyped)
        return fallback;
      return derived;
    }
    return fallback;
  }

  /// The axes of `from` along which the ranks of one group of axis `toAxis`
  /// of `to` differ (cached: the layout is fixed).
  const SmallVector<bool> &getCrossedAxes(StringAttr meshName,
                                          const placement::View &from,
                                          const placement::View &to,
                                          unsigned toAxis) {
    auto key =
        std::make_tuple(meshName.getAsOpaquePointer(), from.getName().str(),
                        to.getName().str(), toAxis);
    auto it = crossedCache.find(key);
    if (it != crossedCache.end())
      return it->second;
    SmallVector<bool> crossed(from.getNumAxes(), false);
    for (const placement::RankGroup &group : to.getGroups({toAxis})) {
      SmallVector<int64_t, 4> first = from.getCoords(group.front());
      for (int64_t rank : group) {
        SmallVector<int64_t, 4> coords = from.getCoords(rank);
        for (unsigned a = 0; a < coords.size(); ++a)
          if (coords[a] != first[a])
            crossed[a] = true;
      }
    }
    return crossedCache[key] = std::move(crossed);
  }

  /// The type on `axis` of a value typed on every axis of another view
  /// (`full`, in view order).
  OperandKind deriveKind(MeshInfo &mesh, ArrayRef<const AxisTypeEntry *> full,
                         const TypedAxis &axis) {
    OperandKind result;
    const placement::View *from =
        mesh.layout->lookupView(full.front()->axis.view.getValue());
    const placement::View *to = mesh.layout->lookupView(axis.view.getValue());
    std::optional<unsigned> toAxis =
        to ? to->findAxis(axis.axis.getValue()) : std::nullopt;
    if (!from || !to || !toAxis)
      return result;
    const SmallVector<bool> &crossed =
        getCrossedAxes(axis.mesh, *from, *to, *toAxis);
    SmallVector<const AxisTypeEntry *> spanned;
    int64_t spannedSize = 1;
    for (const AxisTypeEntry *entry : full) {
      std::optional<unsigned> index =
          from->findAxis(entry->axis.axis.getValue());
      if (index && crossed[*index]) {
        spanned.push_back(entry);
        spannedSize *= from->getAxisSize(*index);
      }
    }
    // Uniformly typed: the same type on every axis of every view. The
    // origin is that of an axis the groups cross, the one that matters.
    if (llvm::all_of(full, [&](const AxisTypeEntry *e) {
          return e->kind == full.front()->kind &&
                 e->pending == full.front()->pending;
        })) {
      result.status = OperandKind::Have;
      result.kind = full.front()->kind;
      result.pending = full.front()->pending;
      result.shard =
          llvm::all_of(full, [](const AxisTypeEntry *e) { return e->shard; });
      result.origin =
          (spanned.empty() ? full.front() : spanned.front())->origin;
      return result;
    }
    auto describe = [&]() {
      std::string text;
      llvm::raw_string_ostream os(text);
      llvm::interleaveComma(spanned, os, [&](const AxisTypeEntry *e) {
        os << e->axis.axis.getValue() << " (" << str(e->kind)
           << (e->pending ? ", a pending sum" : "") << ")";
      });
      return text;
    };
    if (spanned.empty()) {
      result.status = OperandKind::Trivial;
      return result;
    }
    Kind kind = spanned.front()->kind;
    bool pending = spanned.front()->pending;
    bool same = llvm::all_of(spanned, [&](const AxisTypeEntry *e) {
      return e->kind == kind && e->pending == pending;
    });
    // V and I hold on any subgroup; R and P (and a pending V) only on the
    // whole group, since their gradient or value is a sum over it.
    if (same &&
        (((kind == Kind::Varying && !pending) || kind == Kind::Invariant) ||
         spannedSize == to->getAxisSize(*toAxis))) {
      result.status = OperandKind::Have;
      result.kind = kind;
      result.pending = pending;
      result.shard = llvm::all_of(
          spanned, [](const AxisTypeEntry *e) { return e->shard; });
      result.origin = spanned.front()->origin;
      return result;
    }
    result.status = OperandKind::Mixed;
    std::string fromView =
        ("@" + axis.mesh.getValue() + "[" + from->getName() + "]").str();
    std::string groupsOf = ("the groups of " + axis.axis.getValue()).str();
    if (same)
      result.detail = groupsOf + " cover only part of the groups of " +
                      describe() + " of " + fromView + ", and " +
                      str(kind).str() +
                      " does not carry over to part of a group (its value or "
                      "gradient is a sum over the whole group)";
    else
      result.detail = groupsOf + " span " + describe() + " of " + fromView +
                      ", where the value has different types";
    return result;
  }

  // -- Compute ops ---------------------------------------------------------

  /// The type of one result on one axis.
  struct Combined {
    Kind kind;
    std::optional<Location> origin;
    bool pending = false;
    bool shard = false;
  };

  /// Combines the participants of one result on one axis (the rules table of
  /// docs/spmd-types.md). `contraction` is the result's contraction, if any.
  /// Returns std::nullopt (no type on the axis) or the result's type;
  /// failure after a diagnostic.
  FailureOr<std::optional<Combined>>
  combine(Operation *op, const std::optional<OpTypingRule> &rule,
          const OpTypingRule::Contraction *contraction, const TypedAxis &axis,
          ArrayRef<Participant> parts) {
    using Result = std::optional<Combined>;
    SmallVector<const Participant *> typed, nonNeutral;
    for (const Participant &p : parts) {
      if (p.isConstant)
        continue;
      typed.push_back(&p);
      if (!p.neutral)
        nonNeutral.push_back(&p);
    }
    if (typed.empty())
      return Result();
    auto firstOf = [&](ArrayRef<const Participant *> list,
                       Kind kind) -> const Participant * {
      for (const Participant *p : list)
        if (p->kind == kind)
          return p;
      return nullptr;
    };
    auto error = [&]() {
      hadError = true;
      return op->emitOpError();
    };
    auto notes = [&](InFlightDiagnostic &diag, const Participant *a,
                     const Participant *b) {
      noteOrigin(diag, a->origin, a->kind, axis, a->pending);
      if (b && !b->isConstant && b->origin != a->origin)
        noteOrigin(diag, b->origin, b->kind, axis, b->pending);
    };
    // "operand #1 (%x), which is P on axis tp of @mesh[dense] (a pending
    // sum)", or for a pending V "... which is V on axis ... but a pending
    // sum".
    auto whichIsPending = [&](InFlightDiagnostic &diag, const Participant *p) {
      diag << operandName(p->index, p->value) << ", which is "
           << (p->pending ? "V" : "P") << " on " << axisName(axis)
           << (p->pending ? " but a pending sum (see the note)"
                          : " (a pending sum)");
    };
    int64_t size = getAxisSize(axis).value_or(0);

    // Per-step scalars: the same on every rank. Checked first, since they
    // are neutral below.
    if (rule)
      for (const Participant *p : typed) {
        if (p->role != OperandRole::Scalar ||
            (p->kind != Kind::Varying && p->kind != Kind::Partial))
          continue;
        InFlightDiagnostic diag = error();
        diag << "uses ";
        if (p->kind == Kind::Partial)
          whichIsPending(diag, p);
        else
          diag << operandName(p->index, p->value) << ", which is V on "
               << axisName(axis);
        diag << ", as a per-step scalar: every rank must apply the same "
                "update, so it must be R or I there";
        if (p->kind == Kind::Partial)
          diag << "; reduce it first (" << reduceText(*p) << ")";
        notes(diag, p, nullptr);
        return failure();
      }

    // Only integer data: R and I mean the same for values without gradient.
    if (nonNeutral.empty()) {
      if (const Participant *r = firstOf(typed, Kind::Replicate))
        return Result({Kind::Replicate, r->origin});
      return Result({Kind::Invariant, typed.front()->origin});
    }

    if (!rule) {
      const Participant *first = nonNeutral.front();
      for (const Participant *p : nonNeutral) {
        if (p->kind == first->kind)
          continue;
        InFlightDiagnostic diag = error();
        diag << "cannot type '" << op->getName() << "' on " << axisName(axis)
             << ": " << operandName(first->index, first->value) << " is "
             << kindText(*first) << " but " << operandName(p->index, p->value)
             << " is " << kindText(*p)
             << ", and the checker has no typing rule for this op (all "
                "operands of an unknown op must have one type)";
        notes(diag, first, p);
        return failure();
      }
      if (first->kind == Kind::Partial) {
        InFlightDiagnostic diag = error();
        diag << "cannot type '" << op->getName() << "' on " << axisName(axis)
             << ": " << operandName(first->index, first->value);
        if (first->pending)
          diag << " is V but a pending sum (see the note) and the checker "
                  "does not know whether this op is linear; reduce it first "
                  "(spmd.all_reduce V -> R)";
        else
          diag << " is P (a pending sum) and the checker does not know "
                  "whether this op is linear; reduce it first "
                  "(spmd.all_reduce)";
        notes(diag, first, nullptr);
        return failure();
      }
      return Result({first->kind, first->origin});
    }

    const Participant *firstR = firstOf(nonNeutral, Kind::Replicate);
    const Participant *firstI = firstOf(nonNeutral, Kind::Invariant);
    const Participant *firstV = firstOf(nonNeutral, Kind::Varying);
    const Participant *firstP = firstOf(nonNeutral, Kind::Partial);

    // Operands laid out element for element: one type.
    const Participant *firstUniform = nullptr;
    for (const Participant *p : nonNeutral) {
      // A pending sum is reported as one below.
      if (p->role != OperandRole::Uniform || p->kind == Kind::Partial)
        continue;
      if (!firstUniform) {
        firstUniform = p;
        continue;
      }
      if (p->kind == firstUniform->kind)
        continue;
      InFlightDiagnostic diag = error();
      diag << "mixes operands typed " << kindText(*firstUniform) << " and "
           << kindText(*p) << " on " << axisName(axis) << ": "
           << operandName(firstUniform->index, firstUniform->value) << " is "
           << kindText(*firstUniform) << ", " << operandName(p->index, p->value)
           << " is " << kindText(*p) << "; " << rule->uniformReason;
      notes(diag, firstUniform, p);
      return failure();
    }

    // I mixes with nothing else.
    if (firstI && (firstR || firstV || firstP)) {
      const Participant *other = firstR ? firstR : firstV ? firstV : firstP;
      if (firstR && firstV)
        other = firstR->index < firstV->index ? firstR : firstV;
      InFlightDiagnostic diag = error();
      diag << "cannot mix I and " << kindText(*other) << " on "
           << axisName(axis) << ": "
           << operandName(firstI->index, firstI->value) << " is I, "
           << operandName(other->index, other->value) << " is "
           << kindText(*other) << "; ";
      if (other->kind == Kind::Partial)
        diag << (other->pending ? "reduce the pending sum first "
                                  "(spmd.all_reduce V -> I)"
                                : "reduce the P operand first "
                                  "(spmd.all_reduce P -> I)");
      else
        diag << "convert the I operand explicitly (spmd.convert I -> R, whose "
                "backward all-reduces the gradient, or I -> V), or produce "
                "the other operand as I";
      notes(diag, firstI, other);
      return failure();
    }
    if (firstI)
      return Result({Kind::Invariant, firstI->origin});
    if (!firstP) {
      if (!firstV)
        return Result({Kind::Replicate, firstR->origin});
      // Two operands split on the axis along the dimension the result
      // contracts: this rank's share of a sum over the axis.
      if (contraction) {
        auto splitIn = [&](ArrayRef<unsigned> operands) {
          return llvm::any_of(nonNeutral, [&](const Participant *p) {
            return p->kind == Kind::Varying &&
                   llvm::is_contained(operands, p->index);
          });
        };
        if (splitIn(contraction->lhs) && splitIn(contraction->rhs) &&
            !splitIn(contraction->unlessSplit)) {
          if (contraction->ambiguous &&
              axis.axis.getValue() != contraction->resolvedOn)
            return Result({Kind::Varying, firstV->origin});
          return Result({Kind::Varying, op->getLoc(), /*pending=*/true});
        }
      }
      // Computed from shards by an op that does not sum over the split
      // dimension: a shard. Index data only selects (group sizes count the
      // rows, they do not make them), so it decides only a result computed
      // from index data alone.
      bool fromIndexOnly = llvm::none_of(nonNeutral, [](const Participant *p) {
        return p->kind == Kind::Varying && p->role != OperandRole::Index;
      });
      bool shard =
          !rule->opaque && llvm::all_of(nonNeutral, [&](const Participant *p) {
            if (p->kind != Kind::Varying)
              return true;
            if (p->role == OperandRole::Index && !fromIndexOnly)
              return true;
            return p->shard;
          });
      return Result({Kind::Varying, firstV->origin, false, shard});
    }
    // From here on some operand is a pending sum.
    if (firstV) {
      InFlightDiagnostic diag = error();
      diag << "cannot mix " << (firstP->pending ? "a pending sum" : "P")
           << " and V on " << axisName(axis) << ": "
           << operandName(firstP->index, firstP->value) << " is "
           << kindText(*firstP) << ", "
           << operandName(firstV->index, firstV->value)
           << " is V; reduce the partial value first ("
           << (firstP->pending
                   ? "spmd.all_reduce V -> R, or spmd.reinterpret V -> P, then "
                     "spmd.reduce_scatter P -> V"
                   : "spmd.all_reduce P -> R, or spmd.reduce_scatter P -> V")
           << ")";
      notes(diag, firstP, firstV);
      return failure();
    }
    for (const Participant *p : nonNeutral) {
      if (p->kind != Kind::Partial)
        continue;
      if (p->role == OperandRole::NonLinear ||
          p->role == OperandRole::Uniform) {
        InFlightDiagnostic diag = error();
        diag << "is non-linear in ";
        whichIsPending(diag, p);
        diag << ": a non-linear op of a partial sum is not the partial sum "
                "of the op; reduce it first ("
             << reduceText(*p) << ")";
        if (rule->isUpdate)
          diag << ": a gradient that is a pending sum over "
               << axis.axis.getValue() << " needs its all-reduce over "
               << axis.axis.getValue() << " before the optimizer update";
        notes(diag, p, nullptr);
        return failure();
      }
      if (p->role == OperandRole::Index) {
        InFlightDiagnostic diag = error();
        diag << "uses ";
        whichIsPending(diag, p);
        diag << ", as index data; reduce it first";
        notes(diag, p, nullptr);
        return failure();
      }
    }
    // P + R counts the R term once per rank.
    const Participant *sumP = nullptr, *sumOther = nullptr;
    for (const Participant &p : parts) {
      if (p.role != OperandRole::Sum)
        continue;
      if (!p.isConstant && !p.neutral && p.kind == Kind::Partial) {
        if (!sumP)
          sumP = &p;
      } else if (!sumOther && !p.isZero) {
        sumOther = &p;
      }
    }
    if (sumP && sumOther) {
      InFlightDiagnostic diag = error();
      diag << "adds " << operandName(sumP->index, sumP->value) << ", which is "
           << (sumP->pending ? "V on " + axisName(axis) +
                                   " but a pending sum (see the note)"
                             : "P on " + axisName(axis))
           << ", to ";
      if (sumOther->isConstant)
        diag << "a constant " << operandName(sumOther->index, sumOther->value);
      else
        diag << operandName(sumOther->index, sumOther->value) << ", which is "
             << kindText(*sumOther);
      diag << ": the pending sum would count that term " << size
           << " times (once per rank of " << axis.axis.getValue() << "); ";
      if (sumP->pending)
        diag << "reduce the pending sum first (spmd.all_reduce V -> R), or "
                "make the other term one too (spmd.convert R -> P, after "
                "spmd.reinterpret V -> P)";
      else
        diag << "reduce the P operand first, or make the other one P too "
                "(spmd.convert R -> P)";
      notes(diag, sumP, sumOther);
      return failure();
    }
    // A product is linear in one factor at a time; the Sum operands
    // together are one factor.
    SmallVector<const Participant *, 2> partialFactors;
    bool sumFactorSeen = false;
    for (const Participant *p : nonNeutral) {
      if (p->kind != Kind::Partial)
        continue;
      if (p->role == OperandRole::Factor) {
        partialFactors.push_back(p);
      } else if (p->role == OperandRole::Sum && !sumFactorSeen) {
        sumFactorSeen = true;
        partialFactors.push_back(p);
      }
    }
    if (partialFactors.size() > 1) {
      const Participant *a = partialFactors[0], *b = partialFactors[1];
      InFlightDiagnostic diag = error();
      diag << "has P in two factors on " << axisName(axis) << ": ";
      if (!a->pending && !b->pending)
        diag << operandName(a->index, a->value) << " and "
             << operandName(b->index, b->value) << " are both P";
      else
        diag << operandName(a->index, a->value) << " is " << kindText(*a)
             << " and " << operandName(b->index, b->value) << " is "
             << kindText(*b);
      diag << ", and a product of pending sums is not a pending sum; reduce "
              "one of them first";
      notes(diag, a, b);
      return failure();
    }
    // One spelling per sum: a pending V is said to be P with
    // spmd.reinterpret V -> P before it meets a P.
    const Participant *pendingV = nullptr, *partial = nullptr;
    for (const Participant *p : nonNeutral) {
      if (p->kind != Kind::Partial)
        continue;
      if (p->pending && !pendingV)
        pendingV = p;
      if (!p->pending && !partial)
        partial = p;
    }
    if (pendingV && partial) {
      InFlightDiagnostic diag = error();
      diag << "cannot mix P and a pending sum typed V on " << axisName(axis)
           << ": " << operandName(partial->index, partial->value) << " is P, "
           << operandName(pendingV->index, pendingV->value)
           << " is V (a pending sum); say that it is P first "
              "(spmd.reinterpret V -> P)";
      notes(diag, partial, pendingV);
      return failure();
    }
    return Result({firstP->pending ? Kind::Varying : Kind::Partial,
                   firstP->origin, firstP->pending});
  }

  /// The type of a compute op's result that depends on `operands`.
  FailureOr<ValueLocalType>
  inferCompute(Operation *op, const std::optional<OpTypingRule> &rule,
               ArrayRef<unsigned> operands,
               const OpTypingRule::Contraction *contraction) {
    ValueLocalType result;
    // Operand states first: poison spreads quietly, untyped values are
    // reported at their first use.
    bool anyTyped = false;
    for (unsigned i : operands) {
      Value operand = op->getOperand(i);
      ValueLocalType &type = getType(operand);
      if (type.state == State::Poisoned) {
        result.state = State::Poisoned;
        return result;
      }
      if (type.state == State::Unknown) {
        reportUnknown(op, operandName(i, operand), operand);
        return failure();
      }
      anyTyped |= type.state == State::Typed;
    }
    if (!anyTyped) {
      result.state = State::Constant;
      return result;
    }
    // Every axis some operand is typed on.
    SmallVector<TypedAxis> axes;
    for (unsigned i : operands) {
      const ValueLocalType &type = getType(op->getOperand(i));
      for (const AxisTypeEntry &entry : type.entries)
        if (!llvm::is_contained(axes, entry.axis))
          axes.push_back(entry.axis);
    }
    // Canonical order, so the first violation reported does not depend on
    // the order of the operands.
    llvm::stable_sort(axes, [&](const TypedAxis &a, const TypedAxis &b) {
      return orderKey(a) < orderKey(b);
    });
    for (const TypedAxis &axis : axes) {
      // An axis only per-step scalars are typed on (a clip scale computed
      // on the expert view, from the expert gradients' norm) is checked for
      // them alone: they must be the same on every rank, and the other
      // operands need no type there.
      bool scalarOnly =
          rule && llvm::none_of(operands, [&](unsigned i) {
            return rule->getRole(i) != OperandRole::Scalar &&
                   getType(op->getOperand(i)).lookup(axis);
          });
      SmallVector<Participant> parts;
      for (unsigned i : operands) {
        Value operand = op->getOperand(i);
        const ValueLocalType &type = getType(operand);
        Participant p;
        p.index = i;
        p.value = operand;
        p.role = rule ? rule->getRole(i) : OperandRole::NonLinear;
        if (scalarOnly && p.role != OperandRole::Scalar)
          continue;
        if (type.state == State::Constant) {
          p.isConstant = p.neutral = true;
          p.isZero = isZeroConstant(operand);
          parts.push_back(p);
          continue;
        }
        OperandKind kind = getKind(type, axis);
        if (kind.status == OperandKind::Mixed) {
          InFlightDiagnostic diag = op->emitOpError()
                                    << operandName(i, operand)
                                    << " has no single local type on "
                                    << axisName(axis) << ": " << kind.detail
                                    << "; convert it to one type there first";
          hadError = true;
          return failure();
        }
        if (kind.status != OperandKind::Have)
          continue;
        // A pending V takes part as the pending sum it is.
        p.kind = kind.pending ? Kind::Partial : kind.kind;
        p.pending = kind.pending;
        p.shard = kind.shard;
        p.origin = kind.origin;
        // Integer data has no gradient, and a per-step scalar does not
        // decide the result's type: R or I, either combines like a
        // constant.
        p.neutral =
            (isIntegerData(operand.getType()) ||
             p.role == OperandRole::Scalar) &&
            (kind.kind == Kind::Replicate || kind.kind == Kind::Invariant);
        parts.push_back(p);
      }
      auto combined = combine(op, rule, contraction, axis, parts);
      if (failed(combined))
        return failure();
      if (!*combined || scalarOnly)
        continue;
      Location origin = (*combined)->origin.value_or(op->getLoc());
      result.entries.push_back({axis, (*combined)->kind, origin,
                                (*combined)->pending, (*combined)->shard});
    }
    sortEntries(result.entries);
    return result;
  }

  /// Applies an explicit `spmd.local` on an op to its (inferred) result
  /// types: an assertion where a type was inferred, the type otherwise.
  LogicalResult applyAnnotation(Operation *op, Value result,
                                ValueLocalType &type,
                                ArrayRef<AxisTypeEntry> annotation) {
    if (type.state == State::Poisoned)
      return success();
    if (type.state != State::Typed) {
      type.state = State::Typed;
      type.entries.clear();
    }
    for (const AxisTypeEntry &annotated : annotation) {
      OperandKind inferred = getKind(type, annotated.axis);
      if (inferred.status == OperandKind::Have &&
          inferred.kind != annotated.kind) {
        InFlightDiagnostic diag =
            op->emitOpError()
            << "result " << name(result) << " is typed " << str(inferred.kind)
            << " on " << axisName(annotated.axis) << ", but its "
            << kLocalTypeAttrName << " annotation says " << str(annotated.kind);
        noteOrigin(diag, inferred.origin, inferred.kind, annotated.axis);
        hadError = true;
        return failure();
      }
      if (inferred.status == OperandKind::Mixed) {
        op->emitOpError() << "result " << name(result)
                          << " cannot be annotated " << str(annotated.kind)
                          << " on " << axisName(annotated.axis) << ": "
                          << inferred.detail;
        hadError = true;
        return failure();
      }
      if (!type.lookup(annotated.axis))
        type.entries.push_back(annotated);
    }
    sortEntries(type.entries);
    return success();
  }

  void handleCompute(Operation *op) {
    if (op->getNumResults() == 0)
      return;
    std::optional<OpTypingRule> rule = lookupOpTypingRule(op);
    std::optional<SmallVector<AxisTypeEntry>> annotation;
    if (Attribute attr = op->getAttr(kLocalTypeAttrName)) {
      auto parsed =
          parseAnnotation(attr, op->getLoc(),
                          "'" + op->getName().getStringRef() + "' annotation");
      if (failed(parsed)) {
        poison(op);
        return;
      }
      annotation = std::move(*parsed);
    }
    // A state read without an annotation has its declaration's type; an
    // annotated read says what the declaration's type is in this function.
    std::optional<StorageAccess> access = lookupStorageAccess(op);
    if (access && !access->written && annotation)
      annotatedReads.try_emplace(access->symbol.getAttr(), *annotation);
    if (access && !access->isParam && !access->written && !annotation &&
        op->getNumResults() == 1) {
      std::string why;
      FailureOr<ValueLocalType> declared = getDeclaredType(access->symbol, why);
      if (succeeded(declared)) {
        setType(op->getResult(0), std::move(*declared));
      } else {
        unknownReasons[op->getResult(0)] = why;
        setType(op->getResult(0), ValueLocalType{State::Unknown, {}});
      }
      return;
    }
    // A parameter read has a gradient: it is never a constant.
    if (access && access->isParam && !access->written && !annotation) {
      for (Value result : op->getResults()) {
        ValueLocalType type;
        type.state = State::Unknown;
        unknownReasons[result] =
            "'moe.get_param' reads a parameter, which has a gradient; give "
            "it a '" +
            kLocalTypeAttrName.str() + "' attribute";
        setType(result, type);
      }
      return;
    }
    SmallVector<unsigned> all =
        llvm::to_vector(llvm::seq<unsigned>(0, op->getNumOperands()));
    for (OpResult result : op->getResults()) {
      ArrayRef<unsigned> operands = all;
      if (rule && !rule->resultOperands.empty() &&
          result.getResultNumber() < rule->resultOperands.size())
        operands = rule->resultOperands[result.getResultNumber()];
      FailureOr<ValueLocalType> type = inferCompute(
          op, rule, operands,
          rule ? rule->getContraction(result.getResultNumber()) : nullptr);
      if (failed(type)) {
        poison(op);
        return;
      }
      if (annotation &&
          failed(applyAnnotation(op, result, *type, *annotation))) {
        poison(op);
        return;
      }
      // A read of storage yields values: split, never partial sums.
      if (access && !access->written)
        markShards(*type);
      setType(result, std::move(*type));
    }
  }

  // -- Declared storage ----------------------------------------------------

  /// The module's only spmd.mesh, or null when it has none or several.
  MeshOp getOnlyMesh() {
    if (!onlyMeshComputed) {
      onlyMeshComputed = true;
      Operation *module = func->getParentOp();
      while (module && !isa<ModuleOp>(module))
        module = module->getParentOp();
      if (module)
        for (Operation &op : module->getRegion(0).front()) {
          auto mesh = dyn_cast<MeshOp>(op);
          if (!mesh)
            continue;
          if (onlyMesh) {
            onlyMesh = nullptr;
            break;
          }
          onlyMesh = mesh;
        }
    }
    return onlyMesh;
  }

  /// Storage holds values: its V entries are shards.
  static void markShards(ValueLocalType &type) {
    for (AxisTypeEntry &entry : type.entries)
      if (entry.kind == Kind::Varying && !entry.pending)
        entry.shard = true;
  }

  /// The local type of a tensor placed `placement` (S -> V, R -> R, P -> P
  /// on every axis of its view; a shard over a size-1 axis is whole). A
  /// value replicated on every axis of the expert view is typed on the dense
  /// view, as moe-partition types it.
  FailureOr<ValueLocalType> typeFromPlacement(PlacementAttr placement,
                                              Location origin) {
    StringAttr meshName = placement.getMesh().getAttr();
    MeshInfo *mesh = getMesh(meshName);
    if (!mesh)
      return failure();
    StringAttr view = placement.getView();
    ValueLocalType type;
    for (const TypedAxis &axis : getViewAxes(meshName, view)) {
      AxisPlacementAttr axisPlacement =
          placement.getPlacementFor(axis.axis.getValue());
      Kind kind = Kind::Replicate;
      if (axisPlacement && axisPlacement.isPartial())
        kind = Kind::Partial;
      else if (axisPlacement && axisPlacement.isSharded() &&
               getAxisSize(axis).value_or(0) != 1)
        kind = Kind::Varying;
      type.entries.push_back(
          {axis, kind, origin, false, kind == Kind::Varying});
    }
    if (view.getValue() != kDenseView &&
        llvm::all_of(type.entries, [](const AxisTypeEntry &e) {
          return e.kind == Kind::Replicate;
        })) {
      type.entries.clear();
      for (const TypedAxis &axis :
           getViewAxes(meshName, StringAttr::get(getContext(), kDenseView)))
        type.entries.push_back({axis, Kind::Replicate, origin});
    }
    return type;
  }

  /// The local type of the declaration `symbol` (a moe.param or moe.state)
  /// in this function: the `spmd.local` of an earlier read of it,
  /// else the type of its global placement (`global_placement`, else
  /// `placement`), else R on every axis of the dense view of the module's
  /// mesh. Failure, with the reason in `why`, when none applies.
  FailureOr<ValueLocalType> getDeclaredType(FlatSymbolRefAttr symbol,
                                            std::string &why) {
    auto read = annotatedReads.find(symbol.getAttr());
    if (read != annotatedReads.end()) {
      ValueLocalType type;
      type.entries.assign(read->second.begin(), read->second.end());
      markShards(type);
      return type;
    }
    Operation *declaration = symbolTable.lookupNearestSymbolFrom(func, symbol);
    if (!declaration) {
      why = ("it names " + symbol.getValue() +
             ", which is not declared in the module")
                .str();
      return failure();
    }
    if (auto placement = dyn_cast_or_null<PlacementAttr>(
            getDeclaredPlacement(declaration))) {
      FailureOr<ValueLocalType> type =
          typeFromPlacement(placement, declaration->getLoc());
      if (failed(type))
        why = ("the placement of @" + symbol.getValue() +
               " names no valid spmd.mesh")
                  .str();
      return type;
    }
    MeshOp mesh = getOnlyMesh();
    if (!mesh || !getMesh(mesh.getSymNameAttr())) {
      why = ("@" + symbol.getValue() +
             " has no placement and the module has no single valid "
             "spmd.mesh to type it on; give the op a '" +
             kLocalTypeAttrName + "' attribute")
                .str();
      return failure();
    }
    ValueLocalType type;
    for (const TypedAxis &axis : getViewAxes(
             mesh.getSymNameAttr(), StringAttr::get(getContext(), kDenseView)))
      type.entries.push_back({axis, Kind::Replicate, declaration->getLoc()});
    return type;
  }

  /// moe.set_param / moe.set_state: the value written must have the
  /// declaration's local type (or the op's own `spmd.local`) on every axis.
  void handleWrite(Operation *op, const StorageAccess &access) {
    Value value = access.written;
    ValueLocalType &type = getType(value);
    if (type.state == State::Poisoned)
      return;
    if (type.state == State::Unknown) {
      reportUnknown(op, operandName(0, value), value);
      return;
    }
    SmallVector<AxisTypeEntry> expected;
    if (Attribute attr = op->getAttr(kLocalTypeAttrName)) {
      auto parsed =
          parseAnnotation(attr, op->getLoc(),
                          "'" + op->getName().getStringRef() + "' annotation");
      if (failed(parsed))
        return;
      expected = std::move(*parsed);
    } else {
      std::string why;
      FailureOr<ValueLocalType> declared = getDeclaredType(access.symbol, why);
      if (failed(declared)) {
        op->emitOpError() << "cannot check the value written into "
                          << access.symbol << ": " << why;
        hadError = true;
        return;
      }
      expected = std::move(declared->entries);
    }
    // A constant is the same everywhere and has no gradient: it fits.
    if (type.state != State::Typed)
      return;
    for (const AxisTypeEntry &want : expected) {
      OperandKind actual = getKind(type, want.axis);
      if (actual.status == OperandKind::Trivial ||
          actual.status == OperandKind::Untyped ||
          (actual.status == OperandKind::Have && actual.kind == want.kind &&
           !actual.pending))
        continue;
      InFlightDiagnostic diag = op->emitOpError();
      StringRef axisRef = want.axis.axis.getValue();
      if (actual.status == OperandKind::Mixed) {
        diag << "writes " << name(value) << ", which has no single local "
             << "type on " << axisName(want.axis) << " (" << actual.detail
             << "), into " << access.symbol << ", which is " << str(want.kind)
             << " there";
      } else {
        diag << "writes " << name(value) << ", which is " << str(actual.kind)
             << " on " << axisName(want.axis)
             << (actual.pending ? " but a pending sum" : "") << ", into "
             << access.symbol << ", which is " << str(want.kind) << " there";
        bool wantWhole =
            want.kind == Kind::Replicate || want.kind == Kind::Invariant;
        bool partial = actual.kind == Kind::Partial || actual.pending;
        if (partial && wantWhole)
          diag << ": all-reduce it over " << axisRef
               << " first (a gradient that is this rank's share of a sum "
                  "over "
               << axisRef << " misses its all-reduce)";
        else if (partial && want.kind == Kind::Varying)
          diag << ": storage holds values, not pending sums; reduce-scatter "
                  "it over "
               << axisRef << " first";
        else if (actual.kind == Kind::Varying && wantWhole)
          diag << ": all-gather it over " << axisRef << " first";
        else if (actual.kind == Kind::Replicate && want.kind == Kind::Varying)
          diag << ": keep this rank's slice first (spmd.convert R -> V)";
        noteOrigin(diag, actual.origin, actual.kind, want.axis, actual.pending);
      }
      noteOrigin(diag, want.origin, want.kind, want.axis);
      hadError = true;
      // The value is wrong wherever else it goes: report it once.
      type.state = State::Poisoned;
      return;
    }
  }

  // -- Typed collectives, convert, reinterpret -----------------------------

  void handleTransition(LocalTypeTransitionOpInterface op) {
    Value input = op.getTypedOperand();
    Value output = op.getTypedResult();
    StringAttr meshName = op.getMeshSymbol().getAttr();
    StringAttr view = StringAttr::get(getContext(), op.getViewName());
    Kind src = op.getSrcKind(), dst = op.getDstKind();
    ValueLocalType &inType = getType(input);
    if (inType.state == State::Poisoned) {
      poison(op);
      return;
    }
    if (inType.state == State::Unknown) {
      reportUnknown(op, "operand " + name(input), input);
      poison(op);
      return;
    }
    if (!getMesh(meshName)) {
      // The op's verifier reports the mesh.
      poison(op);
      return;
    }
    SmallVector<StringRef> listed = op.getAxisNames();
    for (StringRef axisNameRef : listed) {
      TypedAxis axis{meshName, view,
                     StringAttr::get(getContext(), axisNameRef)};
      if (inType.state == State::Constant) {
        if (src == Kind::Replicate || src == Kind::Invariant)
          continue;
        op->emitOpError() << "operand " << name(input)
                          << " is a constant (I on every axis), but the op "
                             "expects src "
                          << str(src) << " on " << axisName(axis);
        hadError = true;
        poison(op);
        return;
      }
      OperandKind kind = getKind(inType, axis);
      if (kind.status == OperandKind::Trivial)
        continue;
      if (kind.status != OperandKind::Have) {
        InFlightDiagnostic diag = op->emitOpError()
                                  << "operand " << name(input)
                                  << " has no local type on " << axisName(axis);
        if (kind.status == OperandKind::Mixed)
          diag << ": " << kind.detail;
        else if (llvm::any_of(inType.entries, [&](const AxisTypeEntry &e) {
                   return e.axis.mesh == meshName && e.axis.view == view;
                 }))
          diag << " (it is typed on other axes of that view only)";
        else
          diag << " (it is not typed on that view, nor on every axis of "
                  "another view of the mesh)";
        diag << "; the op expects src " << str(src);
        hadError = true;
        poison(op);
        return;
      }
      // Integer data has no gradient: R and I are the same for it.
      bool sameForData =
          isIntegerData(input.getType()) &&
          (kind.kind == Kind::Replicate || kind.kind == Kind::Invariant) &&
          (src == Kind::Replicate || src == Kind::Invariant);
      if (kind.kind != src && !sameForData) {
        InFlightDiagnostic diag = op->emitOpError()
                                  << "operand " << name(input) << " is typed "
                                  << str(kind.kind) << " on " << axisName(axis)
                                  << ", but the op expects src " << str(src);
        // The usual mistakes, spelled out.
        if (kind.kind == Kind::Invariant && src == Kind::Replicate)
          diag << " (an I value's gradient is complete on every rank; "
                  "spmd.convert I -> R first adds the backward all-reduce "
                  "its gradient now needs)";
        else if (kind.kind == Kind::Invariant && src == Kind::Partial)
          diag << " (reducing an I value over " << axisNameRef
               << " would multiply it by the axis size)";
        else if (kind.kind == Kind::Replicate && src == Kind::Partial)
          diag << " (reducing an R value over " << axisNameRef
               << " would multiply it by the axis size)";
        else if ((kind.kind == Kind::Replicate ||
                  kind.kind == Kind::Invariant) &&
                 src == Kind::Varying &&
                 (op->getName().getStringRef() == "spmd.all_reduce" ||
                  op->getName().getStringRef() == "spmd.reduce_scatter"))
          diag << " (it is whole on every rank of " << axisNameRef
               << ": summing it over " << axisNameRef << " counts it "
               << getAxisSize(axis).value_or(0) << " times)";
        else if (kind.kind == Kind::Varying && src == Kind::Partial)
          diag << " (if it is a partial sum, say so with spmd.reinterpret "
                  "V -> P, or use src V)";
        noteOrigin(diag, kind.origin, kind.kind, axis, kind.pending);
        hadError = true;
        poison(op);
        return;
      }
      StringRef opName = op->getName().getStringRef();
      // A shard is data split over the axis: summing it adds up different
      // ranks' data.
      bool sums = opName == "spmd.all_reduce" ||
                  opName == "spmd.reduce_scatter" ||
                  (opName == "spmd.reinterpret" && dst == Kind::Partial);
      if (kind.shard && src == Kind::Varying && sums) {
        InFlightDiagnostic diag =
            op->emitOpError()
            << "operand " << name(input) << " is V on " << axisName(axis)
            << ", a shard of data split over " << axisNameRef
            << " (not a partial sum), and '" << opName << "' (" << str(src)
            << " -> " << str(dst) << ") would sum it over " << axisNameRef
            << ", adding up different ranks' data; all-gather it "
               "(spmd.all_gather V -> R) to make it whole";
        noteOrigin(diag, kind.origin, kind.kind, axis);
        hadError = true;
        poison(op);
        return;
      }
      // A pending V is reduced (all_reduce, reduce_scatter), said to be P
      // (reinterpret V -> P) or moved whole (all_to_all); gathering or
      // zero-padding it treats partial sums as shards.
      if (kind.pending &&
          !(opName == "spmd.all_reduce" || opName == "spmd.reduce_scatter" ||
            opName == "spmd.all_to_all" ||
            (opName == "spmd.reinterpret" && dst == Kind::Partial))) {
        InFlightDiagnostic diag =
            op->emitOpError()
            << "operand " << name(input) << " is V on " << axisName(axis)
            << " but a pending sum (see the note), and '" << opName << "' ("
            << str(src) << " -> " << str(dst)
            << ") would treat its partial sums as shards; reduce it "
               "(spmd.all_reduce V -> R, or spmd.reinterpret V -> P, then "
               "spmd.reduce_scatter P -> V)";
        noteOrigin(diag, kind.origin, kind.kind, axis, kind.pending);
        hadError = true;
        poison(op);
        return;
      }
    }
    // The result: dst on the listed axes, the operand's types on the other
    // axes of the view; types on other views are dropped (communication
    // invalidates them) and derived again from this view when needed.
    ValueLocalType outType;
    bool moves = op->getName().getStringRef() == "spmd.all_to_all";
    // A slice (convert R/I -> V) or a reduce-scatter leaves this rank's
    // shard.
    bool slices = dst == Kind::Varying &&
                  op->getName().getStringRef() != "spmd.reinterpret";
    for (const TypedAxis &axis : getViewAxes(meshName, view)) {
      bool isListed = llvm::is_contained(listed, axis.axis.getValue());
      if (isListed && !moves) {
        outType.entries.push_back({axis, dst, op->getLoc(), false, slices});
        continue;
      }
      if (inType.state != State::Typed) {
        if (isListed)
          outType.entries.push_back({axis, dst, op->getLoc()});
        continue;
      }
      OperandKind kind = getKind(inType, axis);
      if (isListed) {
        // all_to_all exchanges rows: a pending sum stays one.
        bool have = kind.status == OperandKind::Have;
        outType.entries.push_back({axis, dst, op->getLoc(),
                                   have && kind.pending && dst == Kind::Varying,
                                   have && kind.shard && dst == Kind::Varying});
        continue;
      }
      if (kind.status == OperandKind::Have)
        outType.entries.push_back({axis, kind.kind,
                                   kind.origin.value_or(op->getLoc()),
                                   kind.pending, kind.shard});
    }
    for (Value result : op->getResults())
      if (result != output)
        setType(result, ValueLocalType{State::Poisoned, {}});
    setType(output, std::move(outType));
  }

  // -- Function results ----------------------------------------------------

  void handleReturn(Operation *ret) {
    for (auto [i, operand] : llvm::enumerate(ret->getOperands())) {
      if (i >= func.getNumResults())
        break;
      ValueLocalType &type = getType(operand);
      bool isLoss = func.getResultAttr(i, kLossAttrName) != nullptr;
      Attribute declared = func.getResultAttr(i, kLocalTypeAttrName);
      if (!isLoss && !declared)
        continue;
      if (type.state == State::Poisoned)
        continue;
      if (type.state == State::Unknown) {
        reportUnknown(
            ret, "result #" + std::to_string(i) + " (" + name(operand) + ")",
            operand);
        continue;
      }
      if (declared) {
        auto entries = parseAnnotation(declared, ret->getLoc(),
                                       "function result #" + std::to_string(i) +
                                           " declaration");
        if (succeeded(entries))
          for (const AxisTypeEntry &expected : *entries) {
            OperandKind actual = type.state == State::Typed
                                     ? getKind(type, expected.axis)
                                     : OperandKind();
            if (type.state == State::Constant) {
              // The same on every rank and without a gradient: it is what
              // an R result promises too (e.g. the zero gradient of a
              // router bias, which selection uses but nothing
              // differentiates).
              if (expected.kind == Kind::Replicate)
                continue;
              actual.status = OperandKind::Have;
              actual.kind = Kind::Invariant;
            }
            if (actual.status == OperandKind::Trivial ||
                (actual.status == OperandKind::Have &&
                 actual.kind == expected.kind && !actual.pending))
              continue;
            InFlightDiagnostic diag = ret->emitError()
                                      << "result #" << i << " ("
                                      << name(operand) << ") ";
            if (actual.status == OperandKind::Have)
              diag << "is typed " << str(actual.kind)
                   << (actual.pending ? " but a pending sum" : "");
            else
              diag << "has no local type";
            diag << " on " << axisName(expected.axis)
                 << ", but the function declares it " << str(expected.kind);
            if (actual.status == OperandKind::Mixed)
              diag << " (" << actual.detail << ")";
            if (actual.pending && expected.kind == Kind::Varying)
              diag << " (a shard): reduce it (spmd.reinterpret V -> P, then "
                      "spmd.reduce_scatter P -> V), "
                      "or say that it is P (spmd.reinterpret V -> P) and "
                      "declare P";
            else if (actual.pending)
              diag << ": reduce it first (spmd.all_reduce V -> "
                   << str(expected.kind) << ")";
            noteOrigin(diag, actual.origin, actual.kind, expected.axis,
                       actual.pending);
            hadError = true;
          }
      }
      if (isLoss && type.state == State::Typed)
        for (const AxisTypeEntry &entry : type.entries)
          checkLoss(ret, operand, entry);
    }
  }

  void checkLoss(Operation *ret, Value loss, const AxisTypeEntry &entry) {
    if (entry.kind == Kind::Partial || entry.kind == Kind::Invariant)
      return;
    int64_t size = getAxisSize(entry.axis).value_or(0);
    if (size == 1)
      return;
    InFlightDiagnostic diag =
        ret->emitError() << "loss " << name(loss) << " is typed "
                         << str(entry.kind) << " on " << axisName(entry.axis)
                         << ", but a loss must be P or I on every axis: ";
    StringRef axis = entry.axis.axis.getValue();
    if (entry.kind == Kind::Replicate)
      diag << "an R loss seeds the same gradient on each of the " << size
           << " ranks of " << axis << " and their sum makes it " << size
           << "x too large (the " << axis
           << "-size factor); declare that every rank uses it identically "
              "(spmd.convert R -> I), or type each rank's share as P";
    else
      diag << "a V loss has no single value; if each rank holds a partial "
              "sum of it, say so with spmd.reinterpret V -> P";
    noteOrigin(diag, entry.origin, entry.kind, entry.axis, entry.pending);
    hadError = true;
  }

  // -- Regions -------------------------------------------------------------

  /// A V is known to be a shard only if it is one on every path.
  static void meetShards(ValueLocalType &into, const ValueLocalType &other) {
    for (AxisTypeEntry &entry : into.entries)
      if (entry.shard) {
        const AxisTypeEntry *o = other.lookup(entry.axis);
        entry.shard = o && o->shard;
      }
  }

  static bool sameType(const ValueLocalType &a, const ValueLocalType &b) {
    if (a.state != b.state || a.entries.size() != b.entries.size())
      return false;
    for (auto [x, y] : llvm::zip(a.entries, b.entries))
      if (!(x.axis == y.axis) || x.kind != y.kind || x.pending != y.pending)
        return false;
    return true;
  }

  std::string describeType(const ValueLocalType &type) {
    switch (type.state) {
    case State::Constant:
      return "constant";
    case State::Unknown:
    case State::Poisoned:
      return "untyped";
    case State::Typed:
      break;
    }
    if (type.entries.empty())
      return "{}";
    std::string text = "{";
    llvm::raw_string_ostream os(text);
    llvm::interleaveComma(type.entries, os, [&](const AxisTypeEntry &e) {
      os << e.axis.view.getValue() << "." << e.axis.axis.getValue() << " = "
         << str(e.kind) << (e.pending ? " (pending sum)" : "");
    });
    os << "}";
    return text;
  }

  /// scf.for: iteration arguments start with the inits' types and must be
  /// yielded with the same types; the results have them.
  void handleFor(Operation *op) {
    Region &body = op->getRegion(0);
    Block &block = body.front();
    unsigned numIter = op->getNumResults();
    unsigned firstInit = op->getNumOperands() - numIter;
    // The induction variable is the same on every rank.
    setType(block.getArgument(0), ValueLocalType{State::Constant, {}});
    for (unsigned i = 0; i < numIter; ++i) {
      ValueLocalType init = getType(op->getOperand(firstInit + i));
      setType(block.getArgument(1 + i), std::move(init));
    }
    processBlock(block);
    Operation *yield = block.getTerminator();
    for (unsigned i = 0; i < numIter; ++i) {
      ValueLocalType in = getType(op->getOperand(firstInit + i));
      ValueLocalType out = getType(yield->getOperand(i));
      if (in.state == State::Poisoned || out.state == State::Poisoned)
        continue;
      if (!sameType(in, out)) {
        yield->emitOpError() << "loop-carried value #" << i << " enters '"
                             << op->getName() << "' typed " << describeType(in)
                             << " but is yielded typed " << describeType(out);
        hadError = true;
      }
      meetShards(in, out);
      setType(op->getResult(i), in);
    }
  }

  /// scf.if: both branches must yield the same types.
  void handleIf(Operation *op) {
    SmallVector<Operation *> yields;
    for (Region &region : op->getRegions()) {
      if (region.empty())
        continue;
      processBlock(region.front());
      yields.push_back(region.front().getTerminator());
    }
    for (OpResult result : op->getResults()) {
      unsigned i = result.getResultNumber();
      ValueLocalType type = getType(yields.front()->getOperand(i));
      for (Operation *yield : llvm::drop_begin(yields)) {
        ValueLocalType other = getType(yield->getOperand(i));
        if (type.state == State::Poisoned || other.state == State::Poisoned) {
          type.state = State::Poisoned;
          continue;
        }
        meetShards(type, other);
        if (!sameType(type, other)) {
          op->emitOpError() << "result #" << i << " is yielded typed "
                            << describeType(type) << " by one branch and "
                            << describeType(other) << " by the other";
          hadError = true;
          type.state = State::Poisoned;
        }
      }
      setType(result, type);
    }
  }

  void processOp(Operation *op) {
    StringRef opName = op->getName().getStringRef();
    if (op->hasTrait<OpTrait::IsTerminator>() &&
        op->getParentOp() == func.getOperation()) {
      handleReturn(op);
      return;
    }
    if (opName == "scf.yield")
      return;
    if (std::optional<StorageAccess> access = lookupStorageAccess(op);
        access && access->written) {
      handleWrite(op, *access);
      return;
    }
    if (auto transition = dyn_cast<LocalTypeTransitionOpInterface>(op)) {
      handleTransition(transition);
      return;
    }
    if (op->getNumRegions() != 0) {
      if (opName == "scf.for" && op->getRegion(0).hasOneBlock()) {
        handleFor(op);
        return;
      }
      if (opName == "scf.if") {
        handleIf(op);
        return;
      }
      // linalg payload regions compute on scalars of the operands: the op
      // types like any other compute op.
      if (!op->getDialect() || op->getDialect()->getNamespace() != "linalg") {
        op->emitOpError() << "cannot be typed: the local type checker "
                             "handles region ops scf.for, scf.if and "
                             "linalg ops only";
        hadError = true;
        poison(op);
        return;
      }
    }
    handleCompute(op);
  }

  void processBlock(Block &block) {
    for (Operation &op : block)
      processOp(&op);
  }

  // -- Driver --------------------------------------------------------------

  LogicalResult run() {
    Region &body = func.getFunctionBody();
    if (body.empty())
      return success();
    for (auto [i, arg] : llvm::enumerate(body.front().getArguments())) {
      ValueLocalType type;
      Attribute attr = func.getArgAttr(i, kLocalTypeAttrName);
      if (!attr) {
        type.state = State::Unknown;
        unknownReasons[arg] = "function argument #" + std::to_string(i) +
                              " has no '" + kLocalTypeAttrName.str() +
                              "' attribute";
      } else {
        auto entries = parseAnnotation(attr, arg.getLoc(),
                                       "argument #" + std::to_string(i));
        if (failed(entries)) {
          type.state = State::Poisoned;
        } else {
          type.entries = std::move(*entries);
          // A split batch argument (moe-partition's
          // `moe.global_placement`): V where its global placement shards
          // it is a shard.
          if (auto global = dyn_cast_or_null<PlacementAttr>(
                  func.getArgAttr(i, kGlobalPlacementArgAttrName)))
            for (AxisTypeEntry &entry : type.entries) {
              AxisPlacementAttr axisPlacement =
                  global.getPlacementFor(entry.axis.axis.getValue());
              if (entry.kind == Kind::Varying &&
                  global.getMesh().getAttr() == entry.axis.mesh &&
                  global.getView() == entry.axis.view && axisPlacement &&
                  axisPlacement.isSharded())
                entry.shard = true;
            }
        }
      }
      setType(arg, std::move(type));
    }
    for (Block &block : body) {
      if (!block.isEntryBlock())
        for (BlockArgument arg : block.getArguments()) {
          unknownReasons[arg] = "block arguments are not typed";
          setType(arg, ValueLocalType{State::Unknown, {}});
        }
      processBlock(block);
    }
    return failure(hadError);
  }
};

//===----------------------------------------------------------------------===//
// LocalTypeAnalysis
//===----------------------------------------------------------------------===//

LocalTypeAnalysis::LocalTypeAnalysis(FunctionOpInterface func)
    : impl(std::make_unique<Impl>(func)) {}
LocalTypeAnalysis::~LocalTypeAnalysis() = default;
LocalTypeAnalysis::LocalTypeAnalysis(LocalTypeAnalysis &&) = default;

bool LocalTypeAnalysis::isTypedFunction(FunctionOpInterface func) {
  if (func.isExternal())
    return false;
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
    if (func.getArgAttr(i, kLocalTypeAttrName))
      return true;
  return false;
}

LogicalResult LocalTypeAnalysis::run() { return impl->run(); }

const ValueLocalType *LocalTypeAnalysis::lookup(Value value) const {
  auto it = impl->types.find(value);
  return it == impl->types.end() ? nullptr : &it->second;
}

SmallVector<LocalTypeAttr> LocalTypeAnalysis::getLocalTypes(Value value) const {
  SmallVector<LocalTypeAttr> result;
  const ValueLocalType *type = lookup(value);
  if (!type || type->state != State::Typed)
    return result;
  MLIRContext *ctx = value.getContext();
  ArrayRef<AxisTypeEntry> entries = type->entries;
  while (!entries.empty()) {
    const TypedAxis &first = entries.front().axis;
    SmallVector<StringAttr> axes;
    SmallVector<Kind> kinds;
    size_t n = 0;
    while (n < entries.size() && entries[n].axis.mesh == first.mesh &&
           entries[n].axis.view == first.view) {
      axes.push_back(entries[n].axis.axis);
      kinds.push_back(entries[n].kind);
      ++n;
    }
    result.push_back(LocalTypeAttr::get(ctx, FlatSymbolRefAttr::get(first.mesh),
                                        first.view, axes, kinds));
    entries = entries.drop_front(n);
  }
  return result;
}
