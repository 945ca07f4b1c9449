//===- CommReport.cpp - bytes moved by each collective --------------------===//
//
// Implements spmd-comm-report: the compile-time side of the communication
// report. The byte model is the runtime's (docs/comm.md, "Byte
// accounting"); the executable's --comm-report prints the runtime counters
// of each step, and test/Integration/comm-report.test checks the two agree.
//
//===----------------------------------------------------------------------===//

#include "moefold/Dialect/SPMD/Transforms/Passes.h"

#include "moefold/Dialect/SPMD/IR/MeshLayoutBridge.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"
#include "moefold/Placement/MeshLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace moefold::spmd {
#define GEN_PASS_DEF_SPMDCOMMREPORTPASS
#include "moefold/Dialect/SPMD/Transforms/Passes.h.inc"
} // namespace moefold::spmd

using namespace mlir;
using namespace moefold;
using namespace moefold::spmd;

namespace {

/// What one rank moves in one call of a collective.
struct Traffic {
  int64_t sent = 0;
  int64_t received = 0;
  /// Data-dependent (ragged counts): the figures are upper bounds.
  bool bound = false;
};

/// The runtime's name of the group a collective runs over: "view.a+b"
/// (lib/Conversion/MoEToRuntime groupKey).
std::string groupName(StringRef view, ArrayAttr axes) {
  std::string name = view.str() + ".";
  for (auto [i, axis] : llvm::enumerate(axes.getAsValueRange<StringAttr>()))
    name += (i ? "+" : "") + axis.str();
  return name;
}

/// `a * b * c`, or -1 (unknown) when it does not fit in 64 bits.
int64_t product(int64_t a, int64_t b, int64_t c = 1) {
  int64_t ab, abc;
  if (a < 0 || b < 0 || c < 0 || llvm::MulOverflow(a, b, ab) ||
      llvm::MulOverflow(ab, c, abc))
    return -1;
  return abc;
}

/// The bytes of `count` elements of `type`'s element type per row of its
/// leading dimension (`perRow`) or in all (-1 when unknown).
int64_t bytesOf(Type type, bool perRow = false) {
  auto tensor = cast<RankedTensorType>(type);
  int64_t bits = tensor.getElementType().getIntOrFloatBitWidth();
  int64_t n = 1;
  for (auto [d, extent] : llvm::enumerate(tensor.getShape())) {
    if (perRow && d == 0)
      continue;
    if (ShapedType::isDynamic(extent) || llvm::MulOverflow(n, extent, n))
      return -1;
  }
  return product(n, (bits + 7) / 8);
}

/// a + b, -1 when either is unknown or the sum does not fit.
int64_t sum(int64_t a, int64_t b) {
  int64_t s;
  return a < 0 || b < 0 || llvm::AddOverflow(a, b, s) ? -1 : s;
}

/// The single value of a constant counts tensor whose entries are all
/// equal, if it is one.
std::optional<int64_t> uniformCount(Value counts) {
  DenseIntElementsAttr attr;
  if (!matchPattern(counts, m_Constant(&attr)))
    return std::nullopt;
  if (attr.isSplat())
    return attr.getSplatValue<APInt>().getSExtValue();
  std::optional<int64_t> value;
  for (const APInt &v : attr.getValues<APInt>()) {
    if (value && *value != v.getSExtValue())
      return std::nullopt;
    value = v.getSExtValue();
  }
  return value;
}

std::optional<Traffic> exactTrafficOf(Operation *op, int64_t n);

/// The bytes of `op` per rank per call for a group of `n` members.
std::optional<Traffic> trafficOf(Operation *op, int64_t n) {
  std::optional<Traffic> t = exactTrafficOf(op, n);
  // A figure too large for 64 bits is unknown, not exact.
  if (t && (t->sent < 0 || t->received < 0))
    t->bound = true;
  return t;
}

std::optional<Traffic> exactTrafficOf(Operation *op, int64_t n) {
  Traffic t;
  if (auto ar = dyn_cast<AllReduceOp>(op)) {
    int64_t b = product(2 * (n - 1), bytesOf(ar.getInput().getType()));
    t.sent = t.received = b < 0 ? -1 : b / n;
    return t;
  }
  if (auto ag = dyn_cast<AllGatherOp>(op)) {
    t.sent = t.received = product(n - 1, bytesOf(ag.getInput().getType()));
    return t;
  }
  if (auto rs = dyn_cast<ReduceScatterOp>(op)) {
    t.sent = t.received = product(n - 1, bytesOf(rs.getResult().getType()));
    return t;
  }
  if (auto a2a = dyn_cast<AllToAllOp>(op)) {
    auto in = cast<RankedTensorType>(a2a.getInput().getType());
    auto out = cast<RankedTensorType>(a2a.getResult().getType());
    int64_t rowBytes = bytesOf(in, /*perRow=*/true);
    std::optional<int64_t> send = uniformCount(a2a.getSendCounts());
    std::optional<int64_t> recv = uniformCount(a2a.getRecvCounts());
    if (send && recv) {
      t.sent = product(n - 1, *send, rowBytes);
      t.received = product(n - 1, *recv, rowBytes);
      return t;
    }
    // Rows kept for the rank itself are not traffic, so these bound it.
    t.bound = true;
    t.sent = product(in.getDimSize(0), rowBytes);
    t.received = out.hasStaticShape() ? product(out.getDimSize(0), rowBytes) : -1;
    return t;
  }
  return std::nullopt; // convert / reinterpret: no communication
}

struct Line {
  Operation *op;
  std::string kind;
  std::string group;
  int64_t size;
  Traffic traffic;
};

struct Total {
  int64_t calls = 0;
  Traffic traffic;
};

struct SPMDCommReportPass
    : spmd::impl::SPMDCommReportPassBase<SPMDCommReportPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto meshes = llvm::to_vector(module.getOps<MeshOp>());
    std::optional<placement::MeshLayout> layout;
    for (auto func : module.getOps<func::FuncOp>()) {
      SmallVector<Line> lines;
      WalkResult walk = func.walk([&](Operation *op) {
        auto typed = dyn_cast<LocalTypeTransitionOpInterface>(op);
        if (!typed)
          return WalkResult::advance();
        if (meshes.size() != 1) {
          op->emitError("spmd-comm-report: expected exactly one 'spmd.mesh' "
                        "in the module, found ")
              << meshes.size();
          return WalkResult::interrupt();
        }
        if (!layout) {
          FailureOr<placement::MeshLayout> l = getMeshLayout(meshes.front());
          if (failed(l))
            return WalkResult::interrupt();
          layout = *l;
        }
        auto view = op->getAttrOfType<StringAttr>("view");
        auto axes = op->getAttrOfType<ArrayAttr>("axes");
        SmallVector<StringRef> axisNames(axes.getAsValueRange<StringAttr>());
        auto groups = layout->getGroups(view.getValue(), axisNames);
        if (!groups) {
          op->emitError() << llvm::toString(groups.takeError());
          return WalkResult::interrupt();
        }
        int64_t n = static_cast<int64_t>(groups->front().size());
        std::optional<Traffic> traffic = trafficOf(op, n);
        if (!traffic)
          return WalkResult::advance();
        lines.push_back(Line{op, op->getName().stripDialect().str(),
                             groupName(view.getValue(), axes), n, *traffic});
        return WalkResult::advance();
      });
      if (walk.wasInterrupted())
        return signalPassFailure();
      if (lines.empty())
        continue;
      print(func, lines);
    }
  }

  void print(func::FuncOp func, ArrayRef<Line> lines) {
    // Per (group, kind), in first-use order.
    SmallVector<std::pair<std::pair<std::string, std::string>, Total>> totals;
    for (const Line &l : lines) {
      auto key = std::make_pair(l.group, l.kind);
      auto it = llvm::find_if(totals, [&](const auto &e) { return e.first == key; });
      if (it == totals.end()) {
        totals.push_back({key, Total{}});
        it = std::prev(totals.end());
      }
      Total &t = it->second;
      ++t.calls;
      t.traffic.bound |= l.traffic.bound;
      t.traffic.sent = sum(t.traffic.sent, l.traffic.sent);
      t.traffic.received = sum(t.traffic.received, l.traffic.received);
    }
    raw_ostream &os = llvm::outs();
    if (json) {
      llvm::json::Array summary;
      for (const auto &[key, t] : totals)
        summary.push_back(llvm::json::Object{
            {"group", key.first},
            {"kind", key.second},
            {"calls", t.calls},
            {"bytes_sent", t.traffic.sent},
            {"bytes_received", t.traffic.received},
            {"exact", !t.traffic.bound}});
      os << llvm::json::Value(llvm::json::Object{
                {"function", func.getSymName()},
                {"collectives", static_cast<int64_t>(lines.size())},
                {"per_call", std::move(summary)}})
         << "\n";
      return;
    }
    auto figure = [](const Traffic &t, int64_t v) {
      std::string s = t.bound ? "<=" : "";
      return s + (v < 0 ? std::string("?") : std::to_string(v));
    };
    os << "// comm report @" << func.getSymName() << " (" << lines.size()
       << " collectives, bytes per rank per call)\n";
    for (const Line &l : lines) {
      os << llvm::formatv("//   {0,-15} {1,-14} n={2,-3} sent {3,-10} "
                          "received {4,-10} ",
                          l.kind, l.group, l.size, figure(l.traffic, l.traffic.sent),
                          figure(l.traffic, l.traffic.received));
      l.op->getLoc().print(os);
      os << "\n";
    }
    os << "// per call of @" << func.getSymName() << ":\n";
    for (const auto &[key, t] : totals)
      os << llvm::formatv("//   {0,-14} {1,-15} calls {2,-4} sent {3,-10} "
                          "received {4}\n",
                          key.first, key.second, t.calls,
                          figure(t.traffic, t.traffic.sent),
                          figure(t.traffic, t.traffic.received));
  }
};

} // namespace
