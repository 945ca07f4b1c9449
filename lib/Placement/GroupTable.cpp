//===- GroupTable.cpp - Text rendering of a layout's rank groups ----------===//
//
// The group table is what communicators are built from and what lit tests of
// the mesh op FileCheck, so its format is kept stable: one header line, one
// line per view axis, one line per rank.
//
//===----------------------------------------------------------------------===//

#include "moefold/Placement/MeshLayout.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace moefold::placement;

static void printAxisGroups(llvm::raw_ostream &os, const View &view) {
  for (unsigned axis = 0; axis < view.getNumAxes(); ++axis) {
    os << view.getName() << '.' << view.getAxis(axis).name << " groups:";
    for (const RankGroup &group : view.getGroups({axis})) {
      os << ' ';
      printGroup(os, group);
    }
    os << '\n';
  }
}

static void printCoords(llvm::raw_ostream &os, const View &view, int64_t rank) {
  llvm::interleave(
      llvm::enumerate(view.getCoords(rank)), os,
      [&](auto coord) {
        os << view.getAxis(coord.index()).name << '=' << coord.value();
      },
      " ");
}

void MeshLayout::print(llvm::raw_ostream &os) const {
  os << "mesh world=" << world << ' ' << dense << ' ' << expert << '\n';
  printAxisGroups(os, dense);
  printAxisGroups(os, expert);
  for (int64_t rank = 0; rank < world; ++rank) {
    os << "rank " << rank << ": ";
    printCoords(os, dense, rank);
    os << " | ";
    printCoords(os, expert, rank);
    os << '\n';
  }
}

std::string moefold::placement::renderGroupTable(const MeshLayout &layout) {
  std::string out;
  llvm::raw_string_ostream os(out);
  layout.print(os);
  return out;
}

llvm::raw_ostream &moefold::placement::operator<<(llvm::raw_ostream &os,
                                                  const MeshLayout &layout) {
  layout.print(os);
  return os;
}
