//===- MeshLayout.cpp - Validation of the folded dense/expert views -------===//
//
// Validation runs in three phases so that the first error a user sees is the
// most basic one: (1) names and signs in each view, (2) features that are not
// implemented yet, (3) the arithmetic that ties each view to the world size.
//
//===----------------------------------------------------------------------===//

#include "moefold/Placement/MeshLayout.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace moefold::placement;
using llvm::StringRef;

namespace {

/// What a view may contain: its axes and which one is derived.
struct ViewSchema {
  llvm::StringLiteral name;
  llvm::StringLiteral derivedAxis;
  llvm::ArrayRef<llvm::StringLiteral> axes;
};

const llvm::StringLiteral kDenseAxes[] = {kDpAxis, kTpAxis};
const llvm::StringLiteral kExpertAxes[] = {kEdpAxis, kEpAxis, kEtpAxis};
const ViewSchema kSchemas[] = {{kDenseView, kDpAxis, kDenseAxes},
                               {kExpertView, kEdpAxis, kExpertAxes}};

/// A view after phase 1: known axes, each at most once, sizes positive.
struct ParsedView {
  const ViewSchema *schema;
  llvm::SmallVector<MeshAxis, 4> axes;
  /// Whether the user also gave the derived axis a size.
  bool derivedSizeGiven = false;
};

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string joinNames(llvm::ArrayRef<llvm::StringLiteral> names) {
  std::string out;
  llvm::raw_string_ostream os(out);
  llvm::interleave(names, os, ", ");
  return out;
}

llvm::Expected<ParsedView> parseView(const ViewSchema &schema,
                                     const ViewSpec &spec) {
  ParsedView parsed{&schema, {}, false};
  for (const AxisSpec &axisSpec : spec.axes) {
    if (!llvm::is_contained(schema.axes, axisSpec.name))
      return makeError("unknown axis '" + axisSpec.name + "' in the " +
                       schema.name + " view (expected " +
                       joinNames(schema.axes) + ")");
    bool seen = llvm::any_of(parsed.axes, [&](const MeshAxis &axis) {
      return axis.name == axisSpec.name;
    });
    if (seen)
      return makeError("axis '" + axisSpec.name +
                       "' is listed more than once in the " + schema.name +
                       " view");
    bool derived = axisSpec.name == schema.derivedAxis;
    if (axisSpec.size && *axisSpec.size <= 0)
      return makeError("axis '" + axisSpec.name + "' has size " +
                       llvm::Twine(*axisSpec.size) +
                       "; axis sizes must be positive");
    if (!axisSpec.size && !derived)
      return makeError("axis '" + axisSpec.name + "' of the " + schema.name +
                       " view needs a size, e.g. '" + axisSpec.name +
                       " = 2' (only '" + schema.derivedAxis +
                       "' is derived)");
    parsed.derivedSizeGiven |= derived && axisSpec.size.has_value();
    parsed.axes.push_back({axisSpec.name, axisSpec.size.value_or(0), derived});
  }
  for (StringRef name : schema.axes) {
    bool present = llvm::any_of(
        parsed.axes, [&](const MeshAxis &axis) { return axis.name == name; });
    if (!present)
      return makeError(schema.name + " view is missing axis '" + name +
                       "' (expected " + joinNames(schema.axes) +
                       ", each exactly once)");
  }
  return parsed;
}

/// Phase 3: fixes the derived size so that the view covers `world` ranks.
llvm::Expected<View> finishView(int64_t world, ParsedView parsed) {
  std::string names, sizes;
  llvm::raw_string_ostream namesOs(names), sizesOs(sizes);
  int64_t fixedProduct = 1, fullProduct = 1;
  bool first = true;
  for (const MeshAxis &axis : parsed.axes) {
    bool counted = parsed.derivedSizeGiven || !axis.derived;
    if (!counted)
      continue;
    namesOs << (first ? "" : "*") << axis.name;
    sizesOs << (first ? "" : "*") << axis.size;
    first = false;
    fullProduct *= axis.size;
    if (!axis.derived)
      fixedProduct *= axis.size;
  }

  MeshAxis *derived = nullptr;
  for (MeshAxis &axis : parsed.axes)
    if (axis.derived)
      derived = &axis;

  if (parsed.derivedSizeGiven) {
    if (fullProduct != world)
      return makeError(parsed.schema->name + " view product " + names + " = " +
                       sizes + " = " + llvm::Twine(fullProduct) +
                       " does not equal world " + llvm::Twine(world));
  } else {
    if (world % fixedProduct != 0)
      return makeError(
          parsed.schema->name + " view: stage size " + llvm::Twine(world) +
          " is not divisible by " + names + " = " + sizes +
          (names.find('*') == std::string::npos
               ? std::string()
               : " = " + std::to_string(fixedProduct)));
    derived->size = world / fixedProduct;
  }
  return View(parsed.schema->name.str(), std::move(parsed.axes));
}

static int64_t sizeOf(const View &view, StringRef axisName) {
  return view.getAxisSize(*view.findAxis(axisName));
}

} // namespace

llvm::Error moefold::placement::checkEtpSupported(int64_t etp, int64_t tp) {
  if (etp != 1 && etp != tp)
    return makeError("etp = " + llvm::Twine(etp) + " must be 1 or tp = " +
                     llvm::Twine(tp) +
                     " (expert tensor parallelism splits each expert over "
                     "the tp groups)");
  return llvm::Error::success();
}

llvm::Expected<MeshLayout> MeshLayout::create(const MeshSpec &spec) {
  if (spec.world <= 0)
    return makeError("world size must be positive, got " +
                     llvm::Twine(spec.world));

  // Phase 1: names and signs, views taken in schema order for determinism.
  const ViewSpec *specs[std::size(kSchemas)] = {};
  for (const ViewSpec &viewSpec : spec.views) {
    auto *schema = llvm::find_if(
        kSchemas, [&](const ViewSchema &s) { return s.name == viewSpec.name; });
    if (schema == std::end(kSchemas))
      return makeError("unknown view '" + viewSpec.name + "' (expected " +
                       kDenseView + ", " + kExpertView + ")");
    const ViewSpec *&slot = specs[schema - std::begin(kSchemas)];
    if (slot)
      return makeError("view '" + viewSpec.name + "' appears twice");
    slot = &viewSpec;
  }
  llvm::SmallVector<ParsedView, 2> parsed;
  for (auto [schema, viewSpec] : llvm::zip_equal(kSchemas, specs)) {
    if (!viewSpec)
      return makeError("missing " + schema.name + " view");
    llvm::Expected<ParsedView> view = parseView(schema, *viewSpec);
    if (!view)
      return view.takeError();
    parsed.push_back(std::move(*view));
  }

  // Phase 2: arithmetic.
  llvm::Expected<View> dense = finishView(spec.world, std::move(parsed[0]));
  if (!dense)
    return dense.takeError();
  llvm::Expected<View> expert = finishView(spec.world, std::move(parsed[1]));
  if (!expert)
    return expert.takeError();

  // Phase 3: the expert layouts the compiler implements. With etp = tp the
  // etp groups are the tp groups (both innermost), so an expert's F slices
  // sit on the tp lanes that already hold the same tokens.
  if (llvm::Error err =
          checkEtpSupported(sizeOf(*expert, kEtpAxis), sizeOf(*dense, kTpAxis)))
    return std::move(err);
  return MeshLayout(spec.world, std::move(*dense), std::move(*expert));
}

llvm::Expected<MeshLayout> MeshLayout::create(int64_t world, int64_t tp,
                                              int64_t ep, int64_t etp) {
  MeshSpec spec;
  spec.world = world;
  spec.views.push_back(
      {kDenseView.str(), {{kDpAxis.str(), std::nullopt}, {kTpAxis.str(), tp}}});
  spec.views.push_back({kExpertView.str(),
                        {{kEdpAxis.str(), std::nullopt},
                         {kEpAxis.str(), ep},
                         {kEtpAxis.str(), etp}}});
  return create(spec);
}

const View *MeshLayout::lookupView(StringRef viewName) const {
  if (viewName == kDenseView)
    return &dense;
  if (viewName == kExpertView)
    return &expert;
  return nullptr;
}

int64_t MeshLayout::getDp() const { return sizeOf(dense, kDpAxis); }
int64_t MeshLayout::getTp() const { return sizeOf(dense, kTpAxis); }
int64_t MeshLayout::getEdp() const { return sizeOf(expert, kEdpAxis); }
int64_t MeshLayout::getEp() const { return sizeOf(expert, kEpAxis); }
int64_t MeshLayout::getEtp() const { return sizeOf(expert, kEtpAxis); }

llvm::Expected<llvm::SmallVector<unsigned, 4>>
MeshLayout::resolveAxes(const View &view,
                        llvm::ArrayRef<StringRef> axisNames) const {
  llvm::SmallVector<unsigned, 4> axes;
  for (StringRef name : axisNames) {
    std::optional<unsigned> axis = view.findAxis(name);
    if (!axis)
      return makeError("unknown axis '" + name + "' in the " + view.getName() +
                       " view");
    if (llvm::is_contained(axes, *axis))
      return makeError("axis '" + name + "' appears twice");
    axes.push_back(*axis);
  }
  return axes;
}

llvm::Expected<std::vector<RankGroup>>
MeshLayout::getGroups(StringRef viewName,
                      llvm::ArrayRef<StringRef> axisNames) const {
  const View *view = lookupView(viewName);
  if (!view)
    return makeError("unknown view '" + viewName + "'");
  auto axes = resolveAxes(*view, axisNames);
  if (!axes)
    return axes.takeError();
  return view->getGroups(*axes);
}

llvm::Expected<RankGroup>
MeshLayout::getGroupOf(StringRef viewName, llvm::ArrayRef<StringRef> axisNames,
                       int64_t rank) const {
  const View *view = lookupView(viewName);
  if (!view)
    return makeError("unknown view '" + viewName + "'");
  if (rank < 0 || rank >= world)
    return makeError("rank " + llvm::Twine(rank) + " is outside world " +
                     llvm::Twine(world));
  auto axes = resolveAxes(*view, axisNames);
  if (!axes)
    return axes.takeError();
  return view->getGroupOf(*axes, rank);
}
